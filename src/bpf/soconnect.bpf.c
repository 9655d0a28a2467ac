/* soconnect: every connect(), every family (see soconnect.bpf.h). */
#include "bpf/soconnect.bpf.h"
