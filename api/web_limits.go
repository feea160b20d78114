package api

import (
	"time"

	"github.com/freezer-manager/freezer/internal/throttle"
)

// Sign-in limits. Failures count per client IP, per e-mail address whatever
// the IP, and per (IP, e-mail) pair, so that neither one address nor one
// account can be guessed at speed. An IP over its limit is not shut out:
// an e-mail address that has not failed from it still gets one attempt per
// signInSlowLane, so that one person behind a NAT that others abuse still
// signs in after a short wait.
const (
	signInFailuresPerIP       = 20
	signInFailuresPerIPDay    = 1000
	signInFailuresPerEmail    = 10
	signInFailuresPerEmailDay = 200
	signInFailuresPerPair     = 10
	signInSlowLane            = 5 * time.Second
)

// registrationLimit bounds the registrations tried from one client IP.
var registrationLimit = RateLimit{PerMinute: 20, PerDay: 1000}

// signInLimits decides which sign-in attempts are checked at all.
type signInLimits struct {
	ip, ipDay, email, emailDay, pair *throttle.Failures
	slow                             *throttle.Failures // attempts of an IP over its limit
}

func newSignInLimits(now func() time.Time) *signInLimits {
	return &signInLimits{
		ip:       throttle.New(signInFailuresPerIP, time.Minute, now),
		ipDay:    throttle.New(signInFailuresPerIPDay, 24*time.Hour, now),
		email:    throttle.New(signInFailuresPerEmail, time.Minute, now),
		emailDay: throttle.New(signInFailuresPerEmailDay, 24*time.Hour, now),
		pair:     throttle.New(signInFailuresPerPair, time.Minute, now),
		slow:     throttle.New(1, signInSlowLane, now),
	}
}

// allow reports whether an attempt of email (a valid address, or "" for
// an attempt that cannot succeed) from ip may be checked, else how long
// until it may.
func (l *signInLimits) allow(ip, email string) (bool, time.Duration) {
	pair := ip + "\x00" + email
	var retry time.Duration
	if email != "" {
		for _, b := range []struct {
			f   *throttle.Failures
			key string
		}{{l.pair, pair}, {l.email, email}, {l.emailDay, email}} {
			if blocked, r := b.f.Blocked(b.key); blocked {
				retry = max(retry, r)
			}
		}
		if retry > 0 {
			return false, retry
		}
	}
	for _, f := range []*throttle.Failures{l.ip, l.ipDay} {
		if blocked, r := f.Blocked(ip); blocked {
			retry = max(retry, r)
		}
	}
	if retry == 0 {
		return true, 0
	}
	if email == "" || l.pair.Count(pair) > 0 {
		return false, retry
	}
	return l.slow.Take(ip)
}

// fail counts a failed attempt of email ("" for an unusable address) from ip.
func (l *signInLimits) fail(ip, email string) {
	l.ip.Fail(ip)
	l.ipDay.Fail(ip)
	if email != "" {
		l.pair.Fail(ip + "\x00" + email)
		l.email.Fail(email)
		l.emailDay.Fail(email)
	}
}
