/* swar.h - eight bytes at a time: the tests dlp-sim's hot loops (the
 * detectors' gate, the one-pass reader's strings) make of a 64-bit word,
 * each exact for "is there such a byte in the word". */
#ifndef DLP_SIM_SWAR_H
#define DLP_SIM_SWAR_H

#include <stdint.h>
#include <string.h>

#define SIM_ONES  0x0101010101010101ULL
#define SIM_HIGHS 0x8080808080808080ULL

/* The 8 bytes at \p p (any alignment). */
static inline uint64_t sim_word(const void *p)
{
        uint64_t w;

        memcpy(&w, p, sizeof(w));
        return w;
}

/* Nonzero iff a byte of \p w is \p c. */
static inline uint64_t sim_any_byte(uint64_t w, unsigned char c)
{
        w ^= SIM_ONES * c;
        return (w - SIM_ONES) & ~w & SIM_HIGHS;
}

/* Nonzero iff a byte of \p w is below \p n (n <= 0x80). */
static inline uint64_t sim_any_below(uint64_t w, unsigned char n)
{
        return (w - SIM_ONES * n) & ~w & SIM_HIGHS;
}

/* Nonzero iff a byte of \p w is an ASCII digit: bytes below 0x80 whose
 * value v has v + (0x7F - '9') below 0x80 (v <= '9') and v + (0x80 - '0')
 * at least 0x80 (v >= '0'); the additions never carry out of a byte. */
static inline uint64_t sim_any_digit(uint64_t w)
{
        uint64_t low7 = w & (SIM_ONES * 0x7F);

        return (SIM_ONES * (0x7F + 0x3A) - low7) & ~w &
               (low7 + SIM_ONES * (0x80 - 0x30)) & SIM_HIGHS;
}

#endif
