package db

// Traditional Unix crypt(3) ("DES crypt"), as produced by PHP's crypt() with a
// two-character salt. Users imported from the 2018 system have such hashes;
// they are verified once on sign-in and then replaced by argon2id.
//
// crypto/des cannot be used: the salt perturbs DES's E expansion, so this file
// carries its own DES (FIPS 46-3). Bits are numbered as in the standard: bit 1
// is the most significant bit of a block, and a block of n bits is held in the
// low n bits of an integer.

import (
	"crypto/subtle"
	"errors"
	"strings"
)

// crypt64 is the alphabet of crypt(3) salts and hashes: "." is 0, "z" is 63.
const crypt64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// desCryptLen is the length of a traditional crypt(3) hash: 2 salt characters
// and 11 characters encoding the 64-bit result.
const desCryptLen = 13

var errDESCryptSalt = errors.New("DES crypt: salt must be 2 characters of [./0-9A-Za-z]")

// crypt64Value returns c's value in the crypt64 alphabet, or -1.
func crypt64Value(c byte) int {
	switch {
	case c >= '.' && c <= '9':
		return int(c - '.')
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 12
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 38
	}
	return -1
}

// isDESCryptHash reports whether hash looks like a traditional crypt(3) hash:
// exactly 13 characters of the crypt64 alphabet.
func isDESCryptHash(hash string) bool {
	if len(hash) != desCryptLen {
		return false
	}
	for i := 0; i < len(hash); i++ {
		if crypt64Value(hash[i]) < 0 {
			return false
		}
	}
	return true
}

// checkDESCrypt reports whether password matches a traditional crypt(3) hash.
func checkDESCrypt(hash, password string) bool {
	if !isDESCryptHash(hash) {
		return false
	}
	got, err := desCrypt(password, hash[:2])
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(hash)) == 1
}

// desCrypt computes the traditional crypt(3) hash of password with a
// two-character salt.
//
// Only the first 8 bytes of the password count, and only the low 7 bits of
// each. As in C (and PHP, whose crypt() hands the password to C code), a NUL
// byte ends the password.
func desCrypt(password, salt string) (string, error) {
	if len(salt) != 2 {
		return "", errDESCryptSalt
	}
	s0, s1 := crypt64Value(salt[0]), crypt64Value(salt[1])
	if s0 < 0 || s1 < 0 {
		return "", errDESCryptSalt
	}
	// The 12 salt bits: the first character gives bits 0-5, the second bits
	// 6-11, least significant first.
	saltBits := uint32(s0) | uint32(s1)<<6

	// The key: each of the first 8 password bytes, shifted left by one (the
	// low bit of each key byte is DES's unused parity bit).
	var key uint64
	for i := 0; i < 8; i++ {
		var c byte
		if i < len(password) {
			c = password[i]
		}
		if c == 0 {
			break // the remaining key bytes stay zero
		}
		key |= uint64(c<<1) << (56 - 8*i)
	}
	subkeys := desKeySchedule(key)

	// Salt bit i swaps bits i and i+24 of the E output, counting from bit 0 =
	// the first (most significant) of the 48. In the integer, that is bits
	// 47-i and 23-i; saltMask marks the lower bit of each pair.
	var saltMask uint64
	for i := 0; i < 12; i++ {
		if saltBits&(1<<i) != 0 {
			saltMask |= 1 << (23 - i)
		}
	}

	// Encrypt an all-zero block 25 times. Between two encryptions the final
	// permutation and the next initial permutation cancel out, so they are
	// applied only once, around the whole loop; the swap of the two halves
	// at the end of each encryption remains.
	// The initial permutation of the all-zero block is all zeros.
	var l, r uint32
	for i := 0; i < 25; i++ {
		for round := 0; round < 16; round++ {
			l, r = r, l^desF(r, subkeys[round], saltMask)
		}
		l, r = r, l
	}
	out := permute(uint64(l)<<32|uint64(r), 64, desFP[:])

	// Encode the 64 bits, padded with 2 zero bits to 66, as 11 characters of
	// 6 bits, most significant first.
	var b strings.Builder
	b.Grow(desCryptLen)
	b.WriteString(salt)
	for i := 0; i < 11; i++ {
		shift := 58 - 6*i // the 6 bits of character i, before padding
		var v uint64
		if shift >= 0 {
			v = out >> shift
		} else {
			v = out << -shift // the last character: 4 result bits, 2 zero bits
		}
		b.WriteByte(crypt64[v&0x3f])
	}
	return b.String(), nil
}

// desF is DES's round function with the E expansion perturbed by saltMask.
func desF(r uint32, subkey, saltMask uint64) uint32 {
	e := desExpand(r)
	t := (e>>24 ^ e) & saltMask
	e ^= t | t<<24
	e ^= subkey
	var out uint32
	for box := 0; box < 8; box++ {
		out |= desSP[box][(e>>(42-6*box))&0x3f]
	}
	return out
}

// desExpand is the E expansion of a 32-bit half block to 48 bits: the half
// block cut into eight 4-bit groups, each extended by its neighbours' adjacent
// bits to 6 bits. It equals permute(r, 32, desE[:]), only faster.
func desExpand(r uint32) uint64 {
	// x is r with its last bit put in front and its first bit put behind:
	// 34 bits, of which group k of the E output is bits 4k+1..4k+6.
	x := uint64(r&1)<<33 | uint64(r)<<1 | uint64(r>>31)
	var e uint64
	for k := 0; k < 8; k++ {
		e = e<<6 | (x>>(28-4*k))&0x3f
	}
	return e
}

// desKeySchedule returns the 16 48-bit round keys of a 64-bit DES key.
func desKeySchedule(key uint64) [16]uint64 {
	cd := permute(key, 64, desPC1[:])
	c, d := uint32(cd>>28), uint32(cd&0x0fffffff)
	rotl28 := func(v uint32, n int) uint32 {
		return (v<<n | v>>(28-n)) & 0x0fffffff
	}
	var subkeys [16]uint64
	for i, n := range desRotations {
		c, d = rotl28(c, n), rotl28(d, n)
		subkeys[i] = permute(uint64(c)<<28|uint64(d), 56, desPC2[:])
	}
	return subkeys
}

// permute returns the bits of in (a block of inBits bits) chosen by table:
// output bit i+1 is input bit table[i], counting from 1 at the most
// significant end, as in the DES standard.
func permute(in uint64, inBits int, table []uint8) uint64 {
	var out uint64
	for _, pos := range table {
		out = out<<1 | (in>>(inBits-int(pos)))&1
	}
	return out
}

// desSP[box][six] is the output of S-box box for the 6 input bits six,
// moved into place by the permutation P: the round function's output is the
// OR of the eight entries.
var desSP = func() (sp [8][64]uint32) {
	for box := range sp {
		for six := range sp[box] {
			row := (six>>4)&2 | six&1 // outer bits
			col := (six >> 1) & 0xf   // inner bits
			v := uint64(desS[box][row*16+col])
			sp[box][six] = uint32(permute(v<<(28-4*box), 32, desP[:]))
		}
	}
	return sp
}()

// The tables of FIPS 46-3.

var desIP = [64]uint8{
	58, 50, 42, 34, 26, 18, 10, 2,
	60, 52, 44, 36, 28, 20, 12, 4,
	62, 54, 46, 38, 30, 22, 14, 6,
	64, 56, 48, 40, 32, 24, 16, 8,
	57, 49, 41, 33, 25, 17, 9, 1,
	59, 51, 43, 35, 27, 19, 11, 3,
	61, 53, 45, 37, 29, 21, 13, 5,
	63, 55, 47, 39, 31, 23, 15, 7,
}

// desFP is the final permutation, the inverse of desIP.
var desFP = [64]uint8{
	40, 8, 48, 16, 56, 24, 64, 32,
	39, 7, 47, 15, 55, 23, 63, 31,
	38, 6, 46, 14, 54, 22, 62, 30,
	37, 5, 45, 13, 53, 21, 61, 29,
	36, 4, 44, 12, 52, 20, 60, 28,
	35, 3, 43, 11, 51, 19, 59, 27,
	34, 2, 42, 10, 50, 18, 58, 26,
	33, 1, 41, 9, 49, 17, 57, 25,
}

// desE is the E expansion; desExpand computes it.
var desE = [48]uint8{
	32, 1, 2, 3, 4, 5,
	4, 5, 6, 7, 8, 9,
	8, 9, 10, 11, 12, 13,
	12, 13, 14, 15, 16, 17,
	16, 17, 18, 19, 20, 21,
	20, 21, 22, 23, 24, 25,
	24, 25, 26, 27, 28, 29,
	28, 29, 30, 31, 32, 1,
}

var desP = [32]uint8{
	16, 7, 20, 21,
	29, 12, 28, 17,
	1, 15, 23, 26,
	5, 18, 31, 10,
	2, 8, 24, 14,
	32, 27, 3, 9,
	19, 13, 30, 6,
	22, 11, 4, 25,
}

var desPC1 = [56]uint8{
	57, 49, 41, 33, 25, 17, 9,
	1, 58, 50, 42, 34, 26, 18,
	10, 2, 59, 51, 43, 35, 27,
	19, 11, 3, 60, 52, 44, 36,
	63, 55, 47, 39, 31, 23, 15,
	7, 62, 54, 46, 38, 30, 22,
	14, 6, 61, 53, 45, 37, 29,
	21, 13, 5, 28, 20, 12, 4,
}

var desPC2 = [48]uint8{
	14, 17, 11, 24, 1, 5,
	3, 28, 15, 6, 21, 10,
	23, 19, 12, 4, 26, 8,
	16, 7, 27, 20, 13, 2,
	41, 52, 31, 37, 47, 55,
	30, 40, 51, 45, 33, 48,
	44, 49, 39, 56, 34, 53,
	46, 42, 50, 36, 29, 32,
}

// desRotations is the left rotation of C and D before each round's key.
var desRotations = [16]int{1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1}

// desS holds the eight S-boxes, each 4 rows of 16 columns.
var desS = [8][64]uint8{
	{
		14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7,
		0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8,
		4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0,
		15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13,
	},
	{
		15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10,
		3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5,
		0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15,
		13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9,
	},
	{
		10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8,
		13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1,
		13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7,
		1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12,
	},
	{
		7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15,
		13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9,
		10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4,
		3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14,
	},
	{
		2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9,
		14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6,
		4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14,
		11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3,
	},
	{
		12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11,
		10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8,
		9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6,
		4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13,
	},
	{
		4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1,
		13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6,
		1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2,
		6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12,
	},
	{
		13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7,
		1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2,
		7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8,
		2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11,
	},
}
