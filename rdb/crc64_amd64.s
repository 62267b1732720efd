#include "textflag.h"

// func cpuHasPCLMUL() bool
TEXT ·cpuHasPCLMUL(SB), NOSPLIT, $0-1
	MOVL $1, AX
	XORL CX, CX
	CPUID
	SHRL $1, CX
	ANDL $1, CX
	MOVB CX, ret+0(FP)
	RET

// func crcFold(crc uint64, p []byte, k *[4]uint64, out *[16]byte)
// p: a multiple of 16 bytes, at least 64. Folds p (with crc XORed into its
// first 8 bytes) into 16 bytes whose CRC-64 (from 0) is p's: four
// accumulators 64 bytes apart, then one, 16 bytes at a time.
TEXT ·crcFold(SB), NOSPLIT, $0-48
	MOVQ crc+0(FP), AX
	MOVQ p_base+8(FP), SI
	MOVQ p_len+16(FP), CX
	MOVQ k+32(FP), DX
	MOVQ out+40(FP), DI
	MOVOU (SI), X0
	MOVOU 16(SI), X1
	MOVOU 32(SI), X2
	MOVOU 48(SI), X3
	MOVQ AX, X4
	PXOR X4, X0
	MOVOU (DX), X5   // x^575, x^511: over 64 bytes
	MOVOU 16(DX), X6 // x^191, x^127: over 16 bytes
	ADDQ $64, SI
	SUBQ $64, CX

loop4:
	CMPQ CX, $64
	JB   reduce
	MOVOU X0, X7
	MOVOU X1, X8
	MOVOU X2, X9
	MOVOU X3, X10
	PCLMULQDQ $0x00, X5, X0
	PCLMULQDQ $0x11, X5, X7
	PCLMULQDQ $0x00, X5, X1
	PCLMULQDQ $0x11, X5, X8
	PCLMULQDQ $0x00, X5, X2
	PCLMULQDQ $0x11, X5, X9
	PCLMULQDQ $0x00, X5, X3
	PCLMULQDQ $0x11, X5, X10
	PXOR X7, X0
	PXOR X8, X1
	PXOR X9, X2
	PXOR X10, X3
	MOVOU (SI), X11
	MOVOU 16(SI), X12
	MOVOU 32(SI), X13
	MOVOU 48(SI), X14
	PXOR X11, X0
	PXOR X12, X1
	PXOR X13, X2
	PXOR X14, X3
	ADDQ $64, SI
	SUBQ $64, CX
	JMP  loop4

reduce:
	// X1 ^= fold16(X0); X2 ^= fold16(X1); X3 ^= fold16(X2); X0 = X3
	MOVOU X0, X7
	PCLMULQDQ $0x00, X6, X0
	PCLMULQDQ $0x11, X6, X7
	PXOR X7, X0
	PXOR X0, X1
	MOVOU X1, X7
	PCLMULQDQ $0x00, X6, X1
	PCLMULQDQ $0x11, X6, X7
	PXOR X7, X1
	PXOR X1, X2
	MOVOU X2, X7
	PCLMULQDQ $0x00, X6, X2
	PCLMULQDQ $0x11, X6, X7
	PXOR X7, X2
	PXOR X2, X3
	MOVOU X3, X0

loop1:
	CMPQ CX, $16
	JB   done
	MOVOU X0, X7
	PCLMULQDQ $0x00, X6, X0
	PCLMULQDQ $0x11, X6, X7
	PXOR X7, X0
	MOVOU (SI), X11
	PXOR X11, X0
	ADDQ $16, SI
	SUBQ $16, CX
	JMP  loop1

done:
	MOVOU X0, (DI)
	RET
