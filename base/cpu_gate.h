/* A gate for CPU-bound request work that runs beside the single SQLite writer: at most
 * max(1, cores - 1) callers are inside at once, so that on a machine with few cores the
 * thread holding the writer (the bound of ingest) keeps a core rather than sharing it with
 * every request decoding its body. Work that waits for anything but the CPU must not be
 * done inside. */
#ifndef MLT_BASE_CPU_GATE_H
#define MLT_BASE_CPU_GATE_H

void cpu_gate_enter(void);
void cpu_gate_leave(void);

/* The number of callers let in at once from now on (the cores less one unless set); for
 * tests. */
void cpu_gate_set_limit(int n);

#endif
