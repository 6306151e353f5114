// cairo from the system (libcairo2-dev): its PDF surface writes the Letter of Authorization (issue 18); fonts come
// through fontconfig. The library is opened on first use (see CLibraryLoader.h), so its functions are called
// through these wrappers, each named after the function it calls.
#ifndef SIPTRUNK_CCAIRO_H
#define SIPTRUNK_CCAIRO_H

#include <cairo/cairo.h>
#include <cairo/cairo-pdf.h>

/// NULL once cairo is loaded (the first call does it), else why it could not be. The surface constructor returns
/// NULL when it is not; every other function takes what it made.
const char *siptrunk_cairo_unavailable(void);

cairo_surface_t *siptrunk_cairo_pdf_surface_create_for_stream(cairo_write_func_t write, void *closure, double width,
                                                              double height);
void siptrunk_cairo_pdf_surface_set_metadata(cairo_surface_t *surface, cairo_pdf_metadata_t metadata, const char *value);
cairo_t *siptrunk_cairo_create(cairo_surface_t *surface);
void siptrunk_cairo_select_font_face(cairo_t *cairo, const char *family, cairo_font_slant_t slant,
                                     cairo_font_weight_t weight);
void siptrunk_cairo_set_font_size(cairo_t *cairo, double size);
void siptrunk_cairo_move_to(cairo_t *cairo, double x, double y);
void siptrunk_cairo_show_text(cairo_t *cairo, const char *text);
void siptrunk_cairo_show_page(cairo_t *cairo);
void siptrunk_cairo_destroy(cairo_t *cairo);
void siptrunk_cairo_surface_finish(cairo_surface_t *surface);
void siptrunk_cairo_surface_destroy(cairo_surface_t *surface);

#endif
