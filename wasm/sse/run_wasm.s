#include "textflag.h"

// ZEROES pushes (v - 0x0101…01) & ^v for v = R9 ^ pattern, as
// lineend_wasm.s's ZEROES_OF does, with R10 for v.
#define ZEROES(pattern) \
	Get R9; \
	I64Const $pattern; \
	I64Xor; \
	Tee R10; \
	I64Const $0x0101010101010101; \
	I64Sub; \
	Get R10; \
	I64Const $-1; \
	I64Xor; \
	I64And

// PAST_OR_END sets R11 to the address n bytes past the line end, and ends
// the run if that is past the end of chunk (from inside an If in the
// event loop).
#define PAST_OR_END(n) \
	Get R8; \
	I64Const $n; \
	I64Add; \
	Tee R11; \
	Get R1; \
	I64GtU; \
	BrIf $2

// func appendRun(buf, chunk []byte, sep byte, maxLine, maxEvent int) (n, took, events, need int)
//
// appendRunGo (run.go) in one loop with no calls: for each event that is
// "data:", a value with no CR or LF (less one leading space), and then LF
// LF or CRLF CRLF, it checks the limits and the room in buf, writes sep
// and copies the value with memory.copy. The line end is found eight bytes a
// step, as indexLineEnd finds it (see lineend_wasm.s).
//
// Registers (Go's WebAssembly locals, 64 bits): R0 the address of the
// event, R1 of the end of chunk, R2 of buf, R3 buf's length, R4 its
// capacity, R5 the address of chunk, R6 the events, R7 the address of the
// value, R8 of the line end (while looking for it, of the next byte to
// look at), R9 the word or byte looked at, R10 a mask, R11 the address
// past the blank line, R12 need, R13 maxLine, R14 maxEvent, R15 sep.
TEXT ·appendRun(SB), NOSPLIT, $0-104
	I64Load buf_base+0(FP)
	Set R2
	I64Load buf_len+8(FP)
	Set R3
	I64Load buf_cap+16(FP)
	Set R4
	I64Load chunk_base+24(FP)
	Tee R0
	Tee R5
	I64Load chunk_len+32(FP)
	I64Add
	Set R1
	I64Load sep+48(FP)
	I64Const $0xff
	I64And
	Set R15
	I64Load maxLine+56(FP)
	Set R13
	I64Load maxEvent+64(FP)
	Set R14
	I64Const $0
	Set R6
	I64Const $0
	Set R12

	Block // the run ends
		Loop // an event
			// At least len("data:\n\n") bytes, starting with "data:".
			Get R1
			Get R0
			I64Sub
			I64Const $7
			I64LtU
			BrIf $1
			Get R0
			I32WrapI64
			I32Load $0
			I32Const $0x61746164 // "data", little-endian
			I32Ne
			BrIf $1
			Get R0
			I32WrapI64
			I32Load8U $4
			I32Const $58 // ':'
			I32Ne
			BrIf $1

			// The value, less one leading space.
			Get R0
			I64Const $5
			I64Add
			Tee R7
			I32WrapI64
			I32Load8U $0
			I32Const $32 // ' '
			I32Eq
			If
				Get R7
				I64Const $1
				I64Add
				Set R7
			End

			// The line end: the first CR or LF from R7 on.
			Get R7
			Set R8
			Block // found, at R8
				Block // fewer than eight bytes left
					Loop
						Get R1
						Get R8
						I64Sub
						I64Const $8
						I64LtU
						BrIf $1

						Get R8
						I32WrapI64
						I64Load $0
						Set R9
						ZEROES(0x0a0a0a0a0a0a0a0a)
						ZEROES(0x0d0d0d0d0d0d0d0d)
						I64Or
						I64Const $0x8080808080808080
						I64And
						Tee R10
						I64Eqz
						If // neither in this word: on to the next
							Get R8
							I64Const $8
							I64Add
							Set R8
							Br $1
						End

						Get R8
						Get R10
						I64Ctz
						I64Const $3
						I64ShrU
						I64Add
						Set R8
						Br $2
					End
				End

				Loop
					Get R8
					Get R1
					I64GeU
					BrIf $3 // no line end: the run ends

					Get R8
					I32WrapI64
					I64Load8U $0
					Tee R9
					I64Const $10
					I64Eq
					Get R9
					I64Const $13
					I64Eq
					I32Or
					BrIf $1

					Get R8
					I64Const $1
					I64Add
					Set R8
					Br $0
				End
			End

			// The blank line: LF LF, or CRLF CRLF.
			Get R8
			I32WrapI64
			I32Load8U $0
			I32Const $10
			I32Eq
			If
				PAST_OR_END(2)
				Get R8
				I32WrapI64
				I32Load8U $1
				I32Const $10
				I32Ne
				BrIf $2
			Else
				PAST_OR_END(4)
				Get R8
				I32WrapI64
				I32Load $0
				I32Const $0x0a0d0a0d // "\r\n\r\n", little-endian
				I32Ne
				BrIf $2
			End

			// The limits, on the line and on the value.
			Get R13
			I64Const $0
			I64Ne
			Get R8
			Get R0
			I64Sub
			Get R13
			I64GtU
			I32And
			BrIf $1
			Get R14
			I64Const $0
			I64Ne
			Get R8
			Get R7
			I64Sub
			Get R14
			I64GtU
			I32And
			BrIf $1

			// Room for sep and the value, or need it.
			Get R3
			I64Const $1
			I64Add
			Get R8
			Get R7
			I64Sub
			I64Add
			Tee R9
			Get R4
			I64GtU
			If
				Get R9
				Get R3
				I64Sub
				Set R12
				Br $2
			End

			Get R2
			Get R3
			I64Add
			I32WrapI64
			Get R15
			I64Store8 $0

			Get R2
			Get R3
			I64Add
			I64Const $1
			I64Add
			I32WrapI64
			Get R7
			I32WrapI64
			Get R8
			Get R7
			I64Sub
			I32WrapI64
			MemoryCopy

			Get R9
			Set R3
			Get R6
			I64Const $1
			I64Add
			Set R6
			Get R11
			Set R0
			Br $0
		End
	End

	Get SP
	Get R3
	I64Store n+72(FP)
	Get SP
	Get R0
	Get R5
	I64Sub
	I64Store took+80(FP)
	Get SP
	Get R6
	I64Store events+88(FP)
	Get SP
	Get R12
	I64Store need+96(FP)
	RET
