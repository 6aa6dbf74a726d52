/* What the BLAS under the cpu backend says of itself: its name, version,
 * the kernels it chose for this CPU and its threads, and whether those
 * kernels are older than the CPU can run.
 *
 * CMake's FindBLAS links whichever BLAS it found (OpenBLAS, BLIS, MKL or
 * another), so each one's own query functions are referenced weakly: those
 * of the BLAS actually linked resolve, the others stay NULL.
 *
 * OpenBLAS picks its kernels from a table of CPU models as it loads; a
 * model newer than its release (0.3.21 on this machine's Emerald Rapids)
 * falls back to its oldest x86-64 kernels (Prescott, SSE3), at a seventh of
 * the speed.  It honours OPENBLAS_CORETYPE, read at the same moment; the
 * tool sets it and runs itself again (tools/cli_blas.c) when the kernels
 * chosen are older than the CPU's instruction set. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "backend/cpu/cpu_internal.h"
#include "clmlp.h"

#define WEAK __attribute__((weak))

/* OpenBLAS. */
extern char *openblas_get_config(void) WEAK;
extern char *openblas_get_corename(void) WEAK;
extern int openblas_get_num_threads(void) WEAK;
extern int openblas_get_parallel(void) WEAK; /* 0 none, 1 pthreads, 2 OpenMP */
extern void openblas_set_num_threads(int n) WEAK;
/* BLIS (dim_t is a 64-bit integer in its default configuration). */
extern const char *bli_info_get_version_str(void) WEAK;
extern int bli_arch_query_id(void) WEAK;
extern const char *bli_arch_string(int id) WEAK;
extern long long bli_thread_get_num_threads(void) WEAK;
extern void bli_thread_set_num_threads(long long n) WEAK;
/* MKL (MKLVersion's layout from mkl_types.h). */
typedef struct {
    int major, minor, update, patch;
    char *status, *build, *processor, *platform;
} mkl_version;
extern void MKL_Get_Version(mkl_version *v) WEAK;
extern void MKL_Get_Version_String(char *buf, int len) WEAK;
extern int MKL_Get_Max_Threads(void) WEAK;
extern void MKL_Set_Num_Threads(int n) WEAK;

/* Instruction-set tiers, oldest first. */
enum { TIER_SSE = 0, TIER_AVX, TIER_AVX2, TIER_AVX512 };

/* The newest tier this CPU (and its OS) runs. */
static int cpu_tier(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    /* The set OpenBLAS's SkylakeX kernels and BLIS's skx use. */
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl"))
        return TIER_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return TIER_AVX2;
    if (__builtin_cpu_supports("avx")) return TIER_AVX;
#endif
    return TIER_SSE;
}

/* A kernel set's name and the tier it needs. */
typedef struct {
    const char *name;
    int tier;
} kernel_tier;

/* OpenBLAS's x86-64 core names (DYNAMIC_ARCH builds), by the instructions
 * their kernels use. */
static const kernel_tier openblas_cores[] = {{"SkylakeX", TIER_AVX512},
                                             {"Cooperlake", TIER_AVX512},
                                             {"SapphireRapids", TIER_AVX512},
                                             {"Haswell", TIER_AVX2},
                                             {"Zen", TIER_AVX2},
                                             {"Excavator", TIER_AVX2},
                                             {"Sandybridge", TIER_AVX},
                                             {"Bulldozer", TIER_AVX},
                                             {"Piledriver", TIER_AVX},
                                             {"Steamroller", TIER_AVX},
                                             {"Prescott", TIER_SSE},
                                             {"Core2", TIER_SSE},
                                             {"Penryn", TIER_SSE},
                                             {"Dunnington", TIER_SSE},
                                             {"Nehalem", TIER_SSE},
                                             {"Atom", TIER_SSE},
                                             {"Opteron", TIER_SSE},
                                             {"Opteron(SSE3)", TIER_SSE},
                                             {"Barcelona", TIER_SSE},
                                             {"Nano", TIER_SSE},
                                             {"Bobcat", TIER_SSE},
                                             {"Katmai", TIER_SSE},
                                             {"Coppermine", TIER_SSE},
                                             {"Northwood", TIER_SSE},
                                             {"Banias", TIER_SSE},
                                             {NULL, 0}};
/* The OPENBLAS_CORETYPE to ask for, by CPU tier. */
static const char *const openblas_best[] = {"Prescott", "Sandybridge", "Haswell", "SkylakeX"};

/* BLIS's x86-64 configurations. */
static const kernel_tier blis_archs[] = {
    {"skx", TIER_AVX512},      {"knl", TIER_AVX512},      {"zen4", TIER_AVX512},
    {"haswell", TIER_AVX2},    {"zen", TIER_AVX2},        {"zen2", TIER_AVX2},
    {"zen3", TIER_AVX2},       {"sandybridge", TIER_AVX}, {"excavator", TIER_AVX},
    {"steamroller", TIER_AVX}, {"piledriver", TIER_AVX},  {"bulldozer", TIER_AVX},
    {"penryn", TIER_SSE},      {"generic", TIER_SSE},     {NULL, 0}};
static const char *const blis_best[] = {"generic", "sandybridge", "haswell", "skx"};

/* The tier of kernel set name in table, or -1 when it is not listed (a
 * newer one than this file knows: then nothing is said of it). */
static int tier_of(const kernel_tier *table, const char *name)
{
    for (const kernel_tier *k = table; k->name; k++)
        if (strcasecmp(k->name, name) == 0) return k->tier;
    return -1;
}

/* Copies at most cap-1 bytes of the word of s that starts at word index
 * `word` (words split by blanks) into out. */
static void nth_word(const char *s, int word, char *out, size_t cap)
{
    out[0] = '\0';
    for (int w = 0; s && *s; w++) {
        s += strspn(s, " ");
        size_t len = strcspn(s, " ");
        if (w == word) {
            snprintf(out, cap, "%.*s", (int)len, s);
            return;
        }
        s += len;
    }
}

/* OpenBLAS: "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ... Prescott MAX_THREADS=64". */
static void describe_openblas(clmlp_blas_info *o, int tier)
{
    const char *config = openblas_get_config();
    snprintf(o->name, sizeof o->name, "OpenBLAS");
    nth_word(config, 1, o->version, sizeof o->version);
    if (openblas_get_corename)
        snprintf(o->kernels, sizeof o->kernels, "%s", openblas_get_corename());
    o->threads = openblas_get_num_threads ? openblas_get_num_threads() : 1;
    o->openmp = openblas_get_parallel && openblas_get_parallel() == 2;
    int have = tier_of(openblas_cores, o->kernels);
    if (have < 0 || have >= tier) return;
    snprintf(o->best, sizeof o->best, "%s", openblas_best[tier]);
    /* Only a DYNAMIC_ARCH build carries other kernels to switch to. */
    if (config && strstr(config, "DYNAMIC_ARCH"))
        snprintf(o->fix, sizeof o->fix, "OPENBLAS_CORETYPE=%s", o->best);
    else
        snprintf(o->fix, sizeof o->fix, "an OpenBLAS built for this CPU (TARGET=%s)", o->best);
}

/* BLIS: its version and the configuration it chose. */
static void describe_blis(clmlp_blas_info *o, int tier)
{
    snprintf(o->name, sizeof o->name, "BLIS");
    snprintf(o->version, sizeof o->version, "%s", bli_info_get_version_str());
    if (bli_arch_query_id && bli_arch_string)
        snprintf(o->kernels, sizeof o->kernels, "%s", bli_arch_string(bli_arch_query_id()));
    o->threads = bli_thread_get_num_threads ? (int)bli_thread_get_num_threads() : 1;
    if (o->threads < 1) o->threads = 1; /* BLIS says -1 when unset: one thread */
    int have = tier_of(blis_archs, o->kernels);
    if (have < 0 || have >= tier) return;
    snprintf(o->best, sizeof o->best, "%s", blis_best[tier]);
    snprintf(o->fix, sizeof o->fix, "a BLIS configured for %.16s, or OpenBLAS", o->best);
}

void clmlp_blas_describe(clmlp_blas_info *o)
{
    if (!o) return;
    memset(o, 0, sizeof *o);
    int tier = cpu_tier();
    if (openblas_get_config) {
        describe_openblas(o, tier);
    } else if (bli_info_get_version_str) {
        describe_blis(o, tier);
    } else if (MKL_Get_Version || MKL_Get_Version_String) {
        /* MKL picks its code path by the CPU's features, not a model table. */
        snprintf(o->name, sizeof o->name, "MKL");
        snprintf(o->kernels, sizeof o->kernels, "chosen by MKL at run time");
        if (MKL_Get_Version) {
            mkl_version v;
            memset(&v, 0, sizeof v);
            MKL_Get_Version(&v);
            /* MKL counts releases as major.update (minor stays 0): 2026.2.1. */
            snprintf(o->version, sizeof o->version, "%d.%d.%d", v.major, v.update, v.patch);
            if (v.processor) snprintf(o->kernels, sizeof o->kernels, "%.63s", v.processor);
        }
        o->threads = MKL_Get_Max_Threads ? MKL_Get_Max_Threads() : 1;
    } else {
        snprintf(o->name, sizeof o->name, "BLAS");
        o->threads = 1;
    }
}

int clmlp_cpu_blas_reads_small_in_place(const clmlp_blas_info *b)
{
    if (strcmp(b->name, "OpenBLAS") != 0 || tier_of(openblas_cores, b->kernels) != TIER_AVX512)
        return 0;
    int major = 0, minor = 0, patch = 0;
    if (sscanf(b->version, "%d.%d.%d", &major, &minor, &patch) < 2) return 0;
    return major > 0 || minor > 3 || (minor == 3 && patch >= 16);
}

void clmlp_cpu_blas_set_threads(int n)
{
    if (openblas_set_num_threads)
        openblas_set_num_threads(n);
    else if (bli_thread_set_num_threads)
        bli_thread_set_num_threads(n);
    else if (MKL_Set_Num_Threads)
        MKL_Set_Num_Threads(n);
}
