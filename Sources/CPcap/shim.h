// libpcap from the system (libpcap-dev): pcap and pcapng files, and live capture with BPF filters (issue 16).
#include <pcap/pcap.h>
