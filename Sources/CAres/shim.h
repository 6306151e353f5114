// c-ares (Debian's libc-ares-dev), the DNS resolver behind SIPNetwork's SRV, A and AAAA look-ups.
// Swift cannot use c-ares's socket-bitmask macros; these inline functions wrap them.
#include <ares.h>
#include <arpa/nameser.h>

static inline int siptrunk_ares_readable(int bits, int index) { return ARES_GETSOCK_READABLE(bits, index); }
static inline int siptrunk_ares_writable(int bits, int index) { return ARES_GETSOCK_WRITABLE(bits, index); }
static inline int siptrunk_ares_getsock_max(void) { return ARES_GETSOCK_MAXNUM; }
