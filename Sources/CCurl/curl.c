#include "CCurl.h"

#include <CLibraryLoader.h>
#include <pthread.h>
#include <stdio.h>

static struct {
    __typeof__(curl_global_init) *global_init;
    __typeof__(curl_easy_init) *easy_init;
    __typeof__(curl_easy_cleanup) *easy_cleanup;
    __typeof__(curl_easy_perform) *easy_perform;
    __typeof__(curl_easy_strerror) *easy_strerror;
    __typeof__(curl_easy_setopt) *easy_setopt;
    __typeof__(curl_easy_getinfo) *easy_getinfo;
    __typeof__(curl_slist_append) *slist_append;
    __typeof__(curl_slist_free_all) *slist_free_all;
} api;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int ready;
static char problem[256];

static void load(void) {
    static const char *const sonames[] = {"libcurl.so.4", "libcurl-gnutls.so.4", "libcurl.so", NULL};
    const siptrunk_symbol symbols[] = {
        {"curl_global_init", (void **)&api.global_init},     {"curl_easy_init", (void **)&api.easy_init},
        {"curl_easy_cleanup", (void **)&api.easy_cleanup},   {"curl_easy_perform", (void **)&api.easy_perform},
        {"curl_easy_strerror", (void **)&api.easy_strerror}, {"curl_easy_setopt", (void **)&api.easy_setopt},
        {"curl_easy_getinfo", (void **)&api.easy_getinfo},   {"curl_slist_append", (void **)&api.slist_append},
        {"curl_slist_free_all", (void **)&api.slist_free_all},
    };
    if (!siptrunk_library_open(sonames, symbols, sizeof symbols / sizeof symbols[0], problem, sizeof problem)) return;
    // curl_global_init is not thread-safe: here it runs once, under pthread_once.
    CURLcode code = api.global_init(CURL_GLOBAL_DEFAULT);
    if (code != CURLE_OK) {
        snprintf(problem, sizeof problem, "curl_global_init failed: %s", api.easy_strerror(code));
        return;
    }
    ready = 1;
}

const char *siptrunk_curl_unavailable(void) {
    pthread_once(&once, load);
    return ready ? NULL : problem;
}

CURL *siptrunk_curl_easy_init(void) { return siptrunk_curl_unavailable() == NULL ? api.easy_init() : NULL; }
void siptrunk_curl_easy_cleanup(CURL *curl) { api.easy_cleanup(curl); }
CURLcode siptrunk_curl_easy_perform(CURL *curl) { return api.easy_perform(curl); }
const char *siptrunk_curl_easy_strerror(CURLcode code) {
    return siptrunk_curl_unavailable() == NULL ? api.easy_strerror(code) : problem;
}
struct curl_slist *siptrunk_curl_slist_append(struct curl_slist *list, const char *text) {
    return siptrunk_curl_unavailable() == NULL ? api.slist_append(list, text) : NULL;
}
void siptrunk_curl_slist_free_all(struct curl_slist *list) {
    if (list != NULL) api.slist_free_all(list);
}

CURLcode siptrunk_curl_set_string(CURL *curl, CURLoption option, const char *value) {
    return api.easy_setopt(curl, option, value);
}
CURLcode siptrunk_curl_set_long(CURL *curl, CURLoption option, long value) {
    return api.easy_setopt(curl, option, value);
}
CURLcode siptrunk_curl_set_pointer(CURL *curl, CURLoption option, void *value) {
    return api.easy_setopt(curl, option, value);
}
CURLcode siptrunk_curl_set_list(CURL *curl, CURLoption option, struct curl_slist *value) {
    return api.easy_setopt(curl, option, value);
}
CURLcode siptrunk_curl_set_reader(CURL *curl, siptrunk_curl_read_callback callback) {
    return api.easy_setopt(curl, CURLOPT_READFUNCTION, callback);
}
CURLcode siptrunk_curl_response_code(CURL *curl, long *code) {
    return api.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, code);
}
