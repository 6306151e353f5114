#include "CLibraryLoader.h"

#include <dlfcn.h>
#include <stdio.h>

int siptrunk_library_open(const char *const *sonames, const siptrunk_symbol *symbols, size_t count, char *error,
                          size_t error_size) {
    if (error_size > 0) error[0] = '\0';
    for (const char *const *soname = sonames; *soname != NULL; soname++) {
        // RTLD_LOCAL: the library's symbols stay out of the global scope, so nothing else binds to them by accident.
        void *handle = dlopen(*soname, RTLD_NOW | RTLD_LOCAL);
        if (handle == NULL) {
            const char *why = dlerror();
            snprintf(error, error_size, "%s", why != NULL ? why : *soname);
            continue;
        }
        size_t bound = 0;
        for (; bound < count; bound++) {
            void *address = dlsym(handle, symbols[bound].name);
            if (address == NULL) break;
            *symbols[bound].slot = address;
        }
        if (bound == count) {
            if (error_size > 0) error[0] = '\0';
            return 1;
        }
        snprintf(error, error_size, "%s does not define %s (an unsupported version?)", *soname, symbols[bound].name);
        for (size_t index = 0; index < bound; index++) *symbols[index].slot = NULL;
        dlclose(handle);
    }
    return 0;
}
