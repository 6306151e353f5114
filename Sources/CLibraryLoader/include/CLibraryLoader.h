// Libraries that only some commands use (libcurl for alert mail, cairo for the Letter of Authorization, libpcap for
// capture, libphonenumber for numbering plans) are opened when first used instead of at start-up: together they pull
// in some sixty shared objects (GnuTLS, Kerberos, LDAP, X11, protobuf, ICU ...) whose loading and initialisers cost
// every process about 10 MB and a few milliseconds — a probe, the dashboard and the monitor never call them.
#ifndef SIPTRUNK_CLIBRARYLOADER_H
#define SIPTRUNK_CLIBRARYLOADER_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// One symbol to bind: its name in the library and where its address goes.
typedef struct {
    const char *name;
    void **slot;
} siptrunk_symbol;

/// Opens the first of `sonames` (a NULL-terminated list) that loads and defines every symbol, and stores the
/// symbols' addresses in their slots. Returns 1; or 0 with the reason in `error` (always NUL-terminated), naming
/// the library and, when it was found, the symbol it lacks.
int siptrunk_library_open(const char *const *sonames, const siptrunk_symbol *symbols, size_t count, char *error,
                          size_t error_size);

#ifdef __cplusplus
}
#endif

#endif
