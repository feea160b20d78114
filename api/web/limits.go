package web

import (
	"time"

	"github.com/freezer-manager/freezer/api/httpapi"
	"github.com/freezer-manager/freezer/internal/throttle"
)

// signInLimits bound the failed sign-ins of the site: per client IP, per
// e-mail address whatever the IP, and per (IP, address), so that neither
// one address nor one account can be guessed at speed, while one person
// behind a NAT that others abuse still signs in after a few seconds.
var signInLimits = throttle.LockoutLimits{
	PerIP: 20, PerIPDay: 1000,
	PerCredential: 10, PerCredentialDay: 200,
	PerPair:  10,
	SlowLane: 5 * time.Second,
}

// registrationLimit bounds the registrations tried from one client IP.
var registrationLimit = httpapi.RateLimit{PerMinute: 20, PerDay: 1000}
