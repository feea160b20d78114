package db

import (
	"crypto/des"
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"testing"
)

// desCryptVectors were produced by the system crypt(3) (libxcrypt), through
// Python 3.11's crypt.crypt(password, salt), and confirmed identical by Perl's
// crypt(password, salt). Passwords are given as their UTF-8 bytes.
var desCryptVectors = []struct {
	password, salt, hash string
}{
	{"", "ab", "abmF1QH4PEr.E"},
	{"", "zz", "zz6dpSdr.LHZw"},
	{"a", "ab", "abxxB7HlIeckU"},
	{"x", "..", "..RnkxVxZKSmo"},
	{"password", "ab", "abJnggxhB/yWI"},
	{"hunter2", "Ab", "Abd.4r7/OFyMw"},
	{"freezer!", "Zz", "ZzVL18ctXHgyc"},
	// Exactly 8 bytes, and longer: only the first 8 bytes count.
	{"12345678", "zz", "zzRtj6pNdfpLE"},
	{"123456789", "zz", "zzRtj6pNdfpLE"},
	{"12345678xyz", "zz", "zzRtj6pNdfpLE"},
	{"correct ", "cH", "cHbXJrt60EtuA"},
	{"correct horse battery staple", "cH", "cHbXJrt60EtuA"},
	// Every salt-alphabet edge.
	{"test", "..", "..9sjyf8zL76k"},
	{"test", "zz", "zzIUSbhjhhESA"},
	{"test", "./", "./H7.I.sVn7zo"},
	{"test", "A9", "A9LSEAymdJNkA"},
	{"test", "9A", "9AyQs.WYSYTuE"},
	// Non-ASCII: "café€" is 8 bytes of UTF-8, of which only the low 7 bits
	// of each count.
	{"café€", "./", "./cEpjapcGmCU"},
	{"café€", "A9", "A9ElZozwHXCAE"},
	{"café€!!", "A9", "A9ElZozwHXCAE"},
	{"café€!!", "9A", "9AR3LshETkEL."},
	{"Tiefkühltruhe", "q7", "q75RSvIheQP.k"},
	{"ÿÿÿÿÿÿÿÿ", "ab", "abI17mGIa4pjo"},
	{"\x01\x7f", "/.", "/.5rHLmANIJq."},
	{"\x7f\x7f\x7f\x7f", "ab", "abo/ZqWdkrLHQ"},
	// A NUL byte ends the password, as in C (confirmed with Perl).
	{"ab", "ab", "abAwh7.RciMzE"},
	{"ab\x00cd", "ab", "abAwh7.RciMzE"},
}

func TestDESCryptVectors(t *testing.T) {
	for _, v := range desCryptVectors {
		got, err := desCrypt(v.password, v.salt)
		if err != nil {
			t.Errorf("desCrypt(%q, %q): %v", v.password, v.salt, err)
			continue
		}
		if got != v.hash {
			t.Errorf("desCrypt(%q, %q) = %q, want %q", v.password, v.salt, got, v.hash)
		}
		if !checkDESCrypt(v.hash, v.password) {
			t.Errorf("checkDESCrypt(%q, %q) = false, want true", v.hash, v.password)
		}
		if ok, rehash := checkPassword(v.hash, v.password); !ok || !rehash {
			t.Errorf("checkPassword(%q, %q) = %v, %v, want true, true", v.hash, v.password, ok, rehash)
		}
	}
}

func TestDESCryptOnlyFirst8Bytes(t *testing.T) {
	for _, pair := range [][2]string{
		{"12345678", "12345678-and-more"},
		{"café€", "café€ and more"},
		{"passwordA", "passwordB"},
	} {
		a, errA := desCrypt(pair[0], "Qx")
		b, errB := desCrypt(pair[1], "Qx")
		if errA != nil || errB != nil || a != b {
			t.Errorf("%q and %q: %q (%v) and %q (%v), want equal hashes", pair[0], pair[1], a, errA, b, errB)
		}
	}
	a, _ := desCrypt("1234567", "Qx")
	b, _ := desCrypt("1234567X", "Qx")
	if a == b {
		t.Errorf("1234567 and 1234567X hash the same: the 8th byte must count")
	}
}

func TestDESCryptInvalidSalt(t *testing.T) {
	for _, salt := range []string{"", "a", "abc", "a$", "$a", "a ", "-a", "a:", "a[", "a`", "a{", "\x00\x00", "é"} {
		if got, err := desCrypt("password", salt); err == nil {
			t.Errorf("desCrypt(password, %q) = %q, want an error", salt, got)
		}
	}
}

func TestIsDESCryptHash(t *testing.T) {
	argon, err := hashPassword("password")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		hash string
		want bool
	}{
		{"abJnggxhB/yWI", true},
		{".............", true},
		{"zzzzzzzzzzzzz", true},
		{"./09AZaz./09A", true},
		{"abJnggxhB/yW", false},   // 12 characters
		{"abJnggxhB/yWIx", false}, // 14 characters
		{"", false},
		{"abJnggxhB/yW!", false},
		{"abJnggxhB-yWI", false},
		{"abJnggxhB yWI", false},
		{"abJnggxhB_yWI", false},
		{"abJnggxhB+yWI", false},
		{"abJnggxhBéWI", false}, // 13 bytes, but é is not in the alphabet
		{"$2y$10$abcdefghijklmnopqrstuu5z6T1jE8qq1Qn6m5h5fG1aBc2dE3fG", false},
		{"$2a$04$abcdefghijkl", false},
		{argon, false},
	} {
		if got := isDESCryptHash(c.hash); got != c.want {
			t.Errorf("isDESCryptHash(%q) = %v, want %v", c.hash, got, c.want)
		}
	}
}

func TestCheckDESCryptWrongPassword(t *testing.T) {
	for _, c := range []struct{ hash, password string }{
		{"abJnggxhB/yWI", "Password"},
		{"abJnggxhB/yWI", "passwor"},
		{"abJnggxhB/yWI", ""},
		{"abJnggxhB/yWJ", "password"}, // last character changed
		{"acJnggxhB/yWI", "password"}, // salt changed
		{"abJnggxhB/yW", "password"},  // not a DES hash
		{"abJnggxhB/yW$", "password"}, // not a DES hash
	} {
		if checkDESCrypt(c.hash, c.password) {
			t.Errorf("checkDESCrypt(%q, %q) = true, want false", c.hash, c.password)
		}
		if ok, _ := checkPassword(c.hash, c.password); ok {
			t.Errorf("checkPassword(%q, %q) = true, want false", c.hash, c.password)
		}
	}
}

// TestDESCryptBlockMatchesCryptoDES checks this file's DES, with no salt and
// one encryption, against crypto/des.
func TestDESCryptBlockMatchesCryptoDES(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 1000; i++ {
		key, plain := rng.Uint64(), rng.Uint64()
		if i == 0 {
			key, plain = 0, 0
		}
		subkeys := desKeySchedule(key)
		block := permute(plain, 64, desIP[:])
		l, r := uint32(block>>32), uint32(block)
		for round := 0; round < 16; round++ {
			l, r = r, l^desF(r, subkeys[round], 0)
		}
		got := permute(uint64(r)<<32|uint64(l), 64, desFP[:])

		var k, in, out [8]byte
		binary.BigEndian.PutUint64(k[:], key)
		binary.BigEndian.PutUint64(in[:], plain)
		c, err := des.NewCipher(k[:])
		if err != nil {
			t.Fatal(err)
		}
		c.Encrypt(out[:], in[:])
		if want := binary.BigEndian.Uint64(out[:]); got != want {
			t.Fatalf("DES(key %016x, block %016x) = %016x, crypto/des says %016x", key, plain, got, want)
		}
	}
}

func TestDESCryptTables(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 1000; i++ {
		v := rng.Uint64()
		if got := permute(permute(v, 64, desIP[:]), 64, desFP[:]); got != v {
			t.Fatalf("FP(IP(%016x)) = %016x", v, got)
		}
		r := uint32(v)
		if got, want := desExpand(r), permute(uint64(r), 32, desE[:]); got != want {
			t.Fatalf("desExpand(%08x) = %012x, E table gives %012x", r, got, want)
		}
	}
	for box, s := range desS {
		for row := 0; row < 4; row++ {
			var seen uint16
			for _, v := range s[row*16 : row*16+16] {
				seen |= 1 << v
			}
			if seen != 0xffff {
				t.Errorf("S-box %d row %d is not a permutation of 0..15", box+1, row)
			}
		}
	}
}

func FuzzDESCrypt(f *testing.F) {
	for _, v := range desCryptVectors {
		f.Add(v.password, v.salt)
	}
	f.Add("password", "a")
	f.Add("password", "a$b")
	f.Add("password", "\xff\xff")
	f.Fuzz(func(t *testing.T, password, salt string) {
		valid := len(salt) == 2 && strings.IndexByte(crypt64, salt[0]) >= 0 && strings.IndexByte(crypt64, salt[1]) >= 0
		if !valid {
			if got, err := desCrypt(password, salt); err == nil {
				t.Fatalf("desCrypt(%q, %q) = %q, want an error", password, salt, got)
			}
			// Map the fuzzer's salt into the alphabet, to exercise every salt.
			var s [2]byte
			for i := range s {
				if i < len(salt) {
					s[i] = crypt64[salt[i]&0x3f]
				} else {
					s[i] = '.'
				}
			}
			salt = string(s[:])
		}
		hash, err := desCrypt(password, salt)
		if err != nil {
			t.Fatalf("desCrypt(%q, %q): %v", password, salt, err)
		}
		if len(hash) != desCryptLen || !strings.HasPrefix(hash, salt) || !isDESCryptHash(hash) {
			t.Fatalf("desCrypt(%q, %q) = %q, want 13 characters of the alphabet starting with the salt", password, salt, hash)
		}
		if !checkDESCrypt(hash, password) {
			t.Fatalf("checkDESCrypt(%q, %q) = false", hash, password)
		}
		// The last character encodes 4 result bits and 2 zero bits.
		if crypt64Value(hash[12])&3 != 0 {
			t.Fatalf("desCrypt(%q, %q) = %q: last character has padding bits set", password, salt, hash)
		}
	})
}

func BenchmarkDESCrypt(b *testing.B) {
	for b.Loop() {
		if _, err := desCrypt("password", "ab"); err != nil {
			b.Fatal(err)
		}
	}
}
