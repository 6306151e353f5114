#include "CCairo.h"

#include <CLibraryLoader.h>
#include <pthread.h>

#define SIPTRUNK_CAIRO_FUNCTIONS(X)                                                                                  \
    X(cairo_pdf_surface_create_for_stream) X(cairo_pdf_surface_set_metadata) X(cairo_create)                         \
    X(cairo_select_font_face) X(cairo_set_font_size) X(cairo_move_to) X(cairo_show_text) X(cairo_show_page)          \
    X(cairo_destroy) X(cairo_surface_finish) X(cairo_surface_destroy)

#define FIELD(name) __typeof__(name) *name;
static struct {
    SIPTRUNK_CAIRO_FUNCTIONS(FIELD)
} api;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int ready;
static char problem[256];

static void load(void) {
    static const char *const sonames[] = {"libcairo.so.2", "libcairo.so", NULL};
#define SYMBOL(name) {#name, (void **)&api.name},
    const siptrunk_symbol symbols[] = {SIPTRUNK_CAIRO_FUNCTIONS(SYMBOL)};
    ready = siptrunk_library_open(sonames, symbols, sizeof symbols / sizeof symbols[0], problem, sizeof problem);
}

const char *siptrunk_cairo_unavailable(void) {
    pthread_once(&once, load);
    return ready ? NULL : problem;
}

cairo_surface_t *siptrunk_cairo_pdf_surface_create_for_stream(cairo_write_func_t write, void *closure, double width,
                                                              double height) {
    if (siptrunk_cairo_unavailable() != NULL) return NULL;
    return api.cairo_pdf_surface_create_for_stream(write, closure, width, height);
}
void siptrunk_cairo_pdf_surface_set_metadata(cairo_surface_t *surface, cairo_pdf_metadata_t metadata, const char *value) {
    api.cairo_pdf_surface_set_metadata(surface, metadata, value);
}
cairo_t *siptrunk_cairo_create(cairo_surface_t *surface) { return api.cairo_create(surface); }
void siptrunk_cairo_select_font_face(cairo_t *cairo, const char *family, cairo_font_slant_t slant,
                                     cairo_font_weight_t weight) {
    api.cairo_select_font_face(cairo, family, slant, weight);
}
void siptrunk_cairo_set_font_size(cairo_t *cairo, double size) { api.cairo_set_font_size(cairo, size); }
void siptrunk_cairo_move_to(cairo_t *cairo, double x, double y) { api.cairo_move_to(cairo, x, y); }
void siptrunk_cairo_show_text(cairo_t *cairo, const char *text) { api.cairo_show_text(cairo, text); }
void siptrunk_cairo_show_page(cairo_t *cairo) { api.cairo_show_page(cairo); }
void siptrunk_cairo_destroy(cairo_t *cairo) { api.cairo_destroy(cairo); }
void siptrunk_cairo_surface_finish(cairo_surface_t *surface) { api.cairo_surface_finish(surface); }
void siptrunk_cairo_surface_destroy(cairo_surface_t *surface) { api.cairo_surface_destroy(surface); }
