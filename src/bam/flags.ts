/** FLAG bits, SAMv1 §1.4.2. */

/** 0x1: template having multiple segments in sequencing */
export const FPAIRED = 0x1
/** 0x2: each segment properly aligned */
export const FPROPER_PAIR = 0x2
/** 0x4: segment unmapped */
export const FUNMAP = 0x4
/** 0x8: next segment in the template unmapped */
export const FMUNMAP = 0x8
/** 0x10: SEQ being reverse complemented */
export const FREVERSE = 0x10
/** 0x20: SEQ of the next segment reverse complemented */
export const FMREVERSE = 0x20
/** 0x40: the first segment in the template */
export const FREAD1 = 0x40
/** 0x80: the last segment in the template */
export const FREAD2 = 0x80
/** 0x100: secondary alignment */
export const FSECONDARY = 0x100
/** 0x200: not passing quality controls */
export const FQCFAIL = 0x200
/** 0x400: PCR or optical duplicate */
export const FDUP = 0x400
/** 0x800: supplementary alignment */
export const FSUPPLEMENTARY = 0x800
