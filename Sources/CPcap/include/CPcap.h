// libpcap from the system (libpcap-dev): pcap and pcapng files, and live capture with BPF filters (issue 16).
// The library is opened on first use (see CLibraryLoader.h), so its functions are called through these wrappers,
// each named after the function it calls.
#ifndef SIPTRUNK_CPCAP_H
#define SIPTRUNK_CPCAP_H

#include <pcap/pcap.h>

/// NULL once libpcap is loaded (the first call does it), else why it could not be. The two functions that make a
/// handle return NULL with this reason in `errbuf` when it is not; every other one takes a handle they made.
const char *siptrunk_pcap_unavailable(void);

pcap_t *siptrunk_pcap_open_offline(const char *path, char *errbuf);
pcap_t *siptrunk_pcap_create(const char *source, char *errbuf);
int siptrunk_pcap_set_snaplen(pcap_t *handle, int snaplen);
int siptrunk_pcap_set_promisc(pcap_t *handle, int promisc);
int siptrunk_pcap_set_immediate_mode(pcap_t *handle, int immediate);
int siptrunk_pcap_set_buffer_size(pcap_t *handle, int size);
int siptrunk_pcap_set_timeout(pcap_t *handle, int milliseconds);
int siptrunk_pcap_activate(pcap_t *handle);
int siptrunk_pcap_compile(pcap_t *handle, struct bpf_program *program, const char *filter, int optimize, bpf_u_int32 netmask);
void siptrunk_pcap_freecode(struct bpf_program *program);
int siptrunk_pcap_setfilter(pcap_t *handle, struct bpf_program *program);
int siptrunk_pcap_datalink(pcap_t *handle);
const char *siptrunk_pcap_datalink_val_to_name(int dlt);
int siptrunk_pcap_next_ex(pcap_t *handle, struct pcap_pkthdr **header, const u_char **data);
int siptrunk_pcap_stats(pcap_t *handle, struct pcap_stat *stats);
void siptrunk_pcap_breakloop(pcap_t *handle);
char *siptrunk_pcap_geterr(pcap_t *handle);
void siptrunk_pcap_close(pcap_t *handle);

#endif
