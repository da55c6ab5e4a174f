/*
 * fuzz.h: what every fuzz target in tests/fuzz shares. A target defines
 * LLVMFuzzerTestOneInput (and may define LLVMFuzzerInitialize); it is
 * linked either with libFuzzer (clang -fsanitize=fuzzer, `make fuzz`) or
 * with replay_main.c (any compiler, `make fuzz-replay`, part of `make
 * check`), which feeds it every file of the committed corpora.
 *
 * Targets run from the repository root (both make rules do) and read
 * their fixed configs from tests/data/fuzz/.
 */
#ifndef STEERDNS_FUZZ_H
#define STEERDNS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* An invariant of the code under test: on violation print it and abort,
 * which libFuzzer reports as a crash with the input saved. */
#define FUZZ_CHECK(cond, ...)                                                  \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: invariant failed: %s: ", __FILE__, \
			        __LINE__, #cond);                              \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			abort();                                               \
		}                                                              \
	} while (0)

/* A path naming a file that holds data[0..size), for loaders that take
 * a path (zones, compare inputs): one memfd per process, rewritten per
 * input, named through /proc/self/fd. Aborts on failure. */
const char *fuzz_data_path(const uint8_t *data, size_t size);

/* tests/data/fuzz/query.yaml, loaded once (aborts if it does not load). */
struct config;
const struct config *fuzz_query_config(void);

/* Quiet the logs and make stdin /dev/null (a fuzzed path naming
 * /dev/stdin must not block). Call from LLVMFuzzerInitialize; a target
 * without one gets fuzz_util.c's, which only calls this. */
void fuzz_common_init(void);

#endif
