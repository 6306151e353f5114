// cairo from the system (libcairo2-dev): its PDF surface writes the Letter of Authorization (issue 18); fonts come
// through fontconfig.
#include <cairo/cairo.h>
#include <cairo/cairo-pdf.h>
