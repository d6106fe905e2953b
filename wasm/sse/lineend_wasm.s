#include "textflag.h"

// ZEROES_OF pushes (v - 0x0101…01) & ^v for v = R4 ^ pattern (eight
// copies of one byte): masked with 0x8080…80, it has the top bit set in
// each byte of R4 that is pattern's byte, and in no byte below the first.
#define ZEROES_OF(pattern) \
	Get R4; \
	I64Const $pattern; \
	I64Xor; \
	Tee R5; \
	I64Const $0x0101010101010101; \
	I64Sub; \
	Get R5; \
	I64Const $-1; \
	I64Xor; \
	I64And

// func indexLineEnd(b []byte) int
//
// The first CR or LF in b, eight bytes a step. For a word w of eight
// bytes, x = w ^ 0x0a0a…0a has a zero byte where w has an LF, and
// y = w ^ 0x0d0d…0d one where w has a CR. (v - 0x0101…01) & ^v & 0x8080…80
// sets the top bit of each byte that is zero in v, and of no byte below
// the first zero one (above it, a borrow may set more), so the lowest bit
// set in the union of the two, divided by eight, is the index of the
// first CR or LF in the word: words load little-endian. The last bytes,
// fewer than eight, are looked at one by one.
//
// Registers (Go's WebAssembly locals, 64 bits): R0 the address of the
// next byte, R1 the bytes left, R2 the address of b, R3 the result,
// R4 the word or byte, R5 a mask.
TEXT ·indexLineEnd(SB), NOSPLIT, $0-32
	I64Load b_base+0(FP)
	Tee R0
	Set R2
	I64Load b_len+8(FP)
	Set R1

	Block // found or not found: R3 holds the result
		Block // fewer than eight bytes left
			Loop
				Get R1
				I64Const $8
				I64LtU
				BrIf $1

				Get R0
				I32WrapI64
				I64Load $0
				Set R4
				ZEROES_OF(0x0a0a0a0a0a0a0a0a)
				ZEROES_OF(0x0d0d0d0d0d0d0d0d)
				I64Or
				I64Const $0x8080808080808080
				I64And
				Tee R5
				I64Eqz
				If // neither in this word: on to the next
					Get R0
					I64Const $8
					I64Add
					Set R0
					Get R1
					I64Const $8
					I64Sub
					Set R1
					Br $1
				End

				Get R0
				Get R2
				I64Sub
				Get R5
				I64Ctz
				I64Const $3
				I64ShrU
				I64Add
				Set R3
				Br $2
			End
		End

		Loop
			Get R1
			I64Eqz
			If
				I64Const $-1
				Set R3
				Br $2
			End

			Get R0
			I32WrapI64
			I64Load8U $0
			Tee R4
			I64Const $10
			I64Eq
			Get R4
			I64Const $13
			I64Eq
			I32Or
			If
				Get R0
				Get R2
				I64Sub
				Set R3
				Br $2
			End

			Get R0
			I64Const $1
			I64Add
			Set R0
			Get R1
			I64Const $1
			I64Sub
			Set R1
			Br $0
		End
	End

	Get SP
	Get R3
	I64Store ret+24(FP)
	RET
