#include "CPcap.h"

#include <CLibraryLoader.h>
#include <pthread.h>
#include <stdio.h>

#define SIPTRUNK_PCAP_FUNCTIONS(X)                                                                                   \
    X(pcap_open_offline) X(pcap_create) X(pcap_set_snaplen) X(pcap_set_promisc) X(pcap_set_immediate_mode)           \
    X(pcap_set_buffer_size) X(pcap_set_timeout) X(pcap_activate) X(pcap_compile) X(pcap_freecode) X(pcap_setfilter)   \
    X(pcap_datalink) X(pcap_datalink_val_to_name) X(pcap_next_ex) X(pcap_stats) X(pcap_breakloop) X(pcap_geterr)      \
    X(pcap_close)

#define FIELD(name) __typeof__(name) *name;
static struct {
    SIPTRUNK_PCAP_FUNCTIONS(FIELD)
} api;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int ready;
static char problem[256];

static void load(void) {
    // Debian's soname first (libpcap0.8), then upstream's.
    static const char *const sonames[] = {"libpcap.so.0.8", "libpcap.so.1", "libpcap.so", NULL};
#define SYMBOL(name) {#name, (void **)&api.name},
    const siptrunk_symbol symbols[] = {SIPTRUNK_PCAP_FUNCTIONS(SYMBOL)};
    ready = siptrunk_library_open(sonames, symbols, sizeof symbols / sizeof symbols[0], problem, sizeof problem);
}

const char *siptrunk_pcap_unavailable(void) {
    pthread_once(&once, load);
    return ready ? NULL : problem;
}

static pcap_t *refused(char *errbuf) {
    snprintf(errbuf, PCAP_ERRBUF_SIZE, "libpcap could not be loaded (%s): install libpcap0.8", problem);
    return NULL;
}

pcap_t *siptrunk_pcap_open_offline(const char *path, char *errbuf) {
    return siptrunk_pcap_unavailable() == NULL ? api.pcap_open_offline(path, errbuf) : refused(errbuf);
}
pcap_t *siptrunk_pcap_create(const char *source, char *errbuf) {
    return siptrunk_pcap_unavailable() == NULL ? api.pcap_create(source, errbuf) : refused(errbuf);
}
int siptrunk_pcap_set_snaplen(pcap_t *handle, int snaplen) { return api.pcap_set_snaplen(handle, snaplen); }
int siptrunk_pcap_set_promisc(pcap_t *handle, int promisc) { return api.pcap_set_promisc(handle, promisc); }
int siptrunk_pcap_set_immediate_mode(pcap_t *handle, int immediate) {
    return api.pcap_set_immediate_mode(handle, immediate);
}
int siptrunk_pcap_set_buffer_size(pcap_t *handle, int size) { return api.pcap_set_buffer_size(handle, size); }
int siptrunk_pcap_set_timeout(pcap_t *handle, int milliseconds) { return api.pcap_set_timeout(handle, milliseconds); }
int siptrunk_pcap_activate(pcap_t *handle) { return api.pcap_activate(handle); }
int siptrunk_pcap_compile(pcap_t *handle, struct bpf_program *program, const char *filter, int optimize,
                          bpf_u_int32 netmask) {
    return api.pcap_compile(handle, program, filter, optimize, netmask);
}
void siptrunk_pcap_freecode(struct bpf_program *program) { api.pcap_freecode(program); }
int siptrunk_pcap_setfilter(pcap_t *handle, struct bpf_program *program) { return api.pcap_setfilter(handle, program); }
int siptrunk_pcap_datalink(pcap_t *handle) { return api.pcap_datalink(handle); }
const char *siptrunk_pcap_datalink_val_to_name(int dlt) {
    return siptrunk_pcap_unavailable() == NULL ? api.pcap_datalink_val_to_name(dlt) : NULL;
}
int siptrunk_pcap_next_ex(pcap_t *handle, struct pcap_pkthdr **header, const u_char **data) {
    return api.pcap_next_ex(handle, header, data);
}
int siptrunk_pcap_stats(pcap_t *handle, struct pcap_stat *stats) { return api.pcap_stats(handle, stats); }
void siptrunk_pcap_breakloop(pcap_t *handle) { api.pcap_breakloop(handle); }
char *siptrunk_pcap_geterr(pcap_t *handle) { return api.pcap_geterr(handle); }
void siptrunk_pcap_close(pcap_t *handle) { api.pcap_close(handle); }
