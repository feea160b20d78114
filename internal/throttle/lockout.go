package throttle

import "time"

// LockoutLimits are the failures a Lockout allows in a minute (and a day);
// 0 turns a limit off.
type LockoutLimits struct {
	PerIP, PerIPDay                 int // failures of one client IP, whatever the credential
	PerCredential, PerCredentialDay int // failures with one credential (an e-mail, a device id), whatever the IP
	PerPair                         int // failures of one (IP, credential) pair
	// SlowLane is how often an IP over its limit may still try a credential
	// that has not failed from it (0: never).
	SlowLane time.Duration
}

// Lockout decides which sign-in attempts are checked at all. An IP over its
// limit is slowed down, not shut out: a credential that has not failed
// from it gets one attempt per SlowLane, so that a person (or a device)
// behind a NAT that others abuse still signs in after a short wait, while
// the credentials that failed stay blocked.
type Lockout struct {
	ip, ipDay, cred, credDay, pair *Failures
	slow                           *Failures
}

// NewLockout returns a lockout with limits; now defaults to time.Now.
func NewLockout(limits LockoutLimits, now func() time.Time) *Lockout {
	slow := 0
	if limits.SlowLane > 0 {
		slow = 1
	}
	return &Lockout{
		ip:      New(limits.PerIP, time.Minute, now),
		ipDay:   New(limits.PerIPDay, 24*time.Hour, now),
		cred:    New(limits.PerCredential, time.Minute, now),
		credDay: New(limits.PerCredentialDay, 24*time.Hour, now),
		pair:    New(limits.PerPair, time.Minute, now),
		slow:    New(slow, limits.SlowLane, now),
	}
}

// Allow reports whether an attempt with credential ("" for one that cannot
// succeed, such as a malformed address) from ip may be checked, else how
// long until it may.
func (l *Lockout) Allow(ip, credential string) (bool, time.Duration) {
	pair := ip + "\x00" + credential
	var retry time.Duration
	if credential != "" {
		for _, b := range []struct {
			f   *Failures
			key string
		}{{l.pair, pair}, {l.cred, credential}, {l.credDay, credential}} {
			if blocked, r := b.f.Blocked(b.key); blocked {
				retry = max(retry, r)
			}
		}
		if retry > 0 {
			return false, retry
		}
	}
	for _, f := range []*Failures{l.ip, l.ipDay} {
		if blocked, r := f.Blocked(ip); blocked {
			retry = max(retry, r)
		}
	}
	if retry == 0 {
		return true, 0
	}
	if credential == "" || l.pair.Count(pair) > 0 || l.slow.limit == 0 {
		return false, retry
	}
	return l.slow.Take(ip)
}

// Fail counts a failed attempt with credential ("" for an unusable one) from ip.
func (l *Lockout) Fail(ip, credential string) {
	l.ip.Fail(ip)
	l.ipDay.Fail(ip)
	if credential != "" {
		l.pair.Fail(ip + "\x00" + credential)
		l.cred.Fail(credential)
		l.credDay.Fail(credential)
	}
}
