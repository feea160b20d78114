// Package alerts is the alert job: on a cron schedule (robfig/cron), once
// at start-up to catch up, and on demand, it records the products that
// became due soon or overdue, keeps their deliveries in the store's outbox,
// and delivers them on each household's channels: an MQTT event, a webhook
// (JSON or ntfy) and an SMTP digest, retrying failures with backoff. One
// run at a time across replicas, through the store's job lease. It reaches
// MQTT only through devices.Bus; it must not import a broker library
// (mochi, paho), the label renderer, the store (db), api, hub or
// homeassistant.
package alerts

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/internal/netguard"
)

// Defaults of the alert job's settings.
const (
	DefaultSchedule     = "0 8 * * *" // daily at 08:00 in the configured time zone
	DefaultLockWait     = time.Minute
	DefaultRetryBase    = 30 * time.Second
	DefaultRetryMax     = time.Hour
	DefaultMaxAttempts  = 10
	DefaultPollInterval = time.Minute
	DefaultSendTimeout  = 15 * time.Second
	DefaultClaimRenewal = 15 * time.Second
)

// ScheduleOff as the schedule disables the daily run and its catch-up at
// start-up; runs on demand still work.
const ScheduleOff = "off"

// JobName names the alert job's lock and last run in the database.
const JobName = "alerts"

// claimBatch bounds the deliveries claimed at once.
const claimBatch = 200

// Config holds the alert job's settings; zero values mean the defaults.
type Config struct {
	Topics   devices.Topics
	Schedule string         // cron spec (5 fields or a descriptor such as @daily), or ScheduleOff
	Location *time.Location // the time zone of the schedule and of "today" (default Local)
	Now      func() time.Time
	// LockWait is how long a run waits for another process's run to end.
	LockWait time.Duration
	// RetryBase is the wait before the second attempt of a failed delivery;
	// it doubles at each attempt up to RetryMax, for MaxAttempts attempts.
	RetryBase    time.Duration
	RetryMax     time.Duration
	MaxAttempts  int
	PollInterval time.Duration // how often pending deliveries left by others are looked for
	SendTimeout  time.Duration // per webhook request and per SMTP conversation
	// ClaimRenewal is how often the claims of the deliveries being sent
	// are renewed (default 15 s), well within the store's lease of a
	// minute, after which another process takes them for abandoned.
	ClaimRenewal time.Duration
	HTTPClient   *http.Client // default: the Guard's, which never follows redirects
	// Guard refuses webhooks and SMTP servers on addresses a household must
	// not reach (nil: any address; freezerd always sets one).
	Guard     *netguard.Guard
	TLSConfig *tls.Config // base TLS settings of SMTP connections (tests add their CA)
	Hostname  string      // the name given in SMTP's HELO and in Message-IDs (default: the host name)
}

// StateRefresher republishes what depends on the day, after an alert run.
type StateRefresher interface {
	RefreshAll()
}

// Job is the alert job: on a cron schedule, once at start-up to catch up
// on missed runs, and on demand, it records the products that became due
// soon or overdue, once per product and stage, and delivers each alert on
// its household's channels. Deliveries that fail are retried with backoff
// by the job's own goroutine, never on the scan path.
type Job struct {
	config   Config
	store    freezer.AlertStore
	bus      devices.Bus // nil: MQTT deliveries wait for a process that has one
	states   StateRefresher
	logger   *slog.Logger
	schedule cron.Schedule // nil when off

	mu        sync.Mutex // one pass at a time in this process
	cron      *cron.Cron
	kick      chan struct{}
	retryAt   time.Time // earliest retry this process scheduled
	caughtUp  chan struct{}
	stopped   context.Context
	stop      context.CancelFunc
	wg        sync.WaitGroup
	startOnce sync.Once
}

// New returns the alert job; bus and states may be nil. It returns an
// error for a schedule it cannot parse.
func New(cfg Config, store freezer.AlertStore, bus devices.Bus, states StateRefresher, logger *slog.Logger) (*Job, error) {
	if cfg.Topics.Root == "" {
		cfg.Topics.Root = devices.DefaultRoot
	}
	if cfg.Schedule == "" {
		cfg.Schedule = DefaultSchedule
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	setDefault(&cfg.LockWait, DefaultLockWait)
	setDefault(&cfg.RetryBase, DefaultRetryBase)
	setDefault(&cfg.RetryMax, DefaultRetryMax)
	setDefault(&cfg.MaxAttempts, DefaultMaxAttempts)
	setDefault(&cfg.PollInterval, DefaultPollInterval)
	setDefault(&cfg.SendTimeout, DefaultSendTimeout)
	setDefault(&cfg.ClaimRenewal, DefaultClaimRenewal)
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = cfg.Guard.HTTPClient(cfg.SendTimeout)
	}
	if cfg.Hostname == "" {
		cfg.Hostname, _ = os.Hostname()
		if cfg.Hostname == "" {
			cfg.Hostname = "localhost"
		}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a := &Job{config: cfg, store: store, bus: bus, states: states, logger: logger,
		kick: make(chan struct{}, 1), caughtUp: make(chan struct{})}
	if cfg.Schedule != ScheduleOff {
		s, err := cron.ParseStandard(cfg.Schedule)
		if err != nil {
			return nil, fmt.Errorf("alert schedule %q: %w", cfg.Schedule, err)
		}
		a.schedule = s
	}
	a.stopped, a.stop = context.WithCancel(context.Background())
	return a, nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Start schedules the job, catches up on a run missed while no process ran
// it, and starts delivering pending alerts in the background.
func (a *Job) Start() {
	a.startOnce.Do(func() {
		if a.schedule != nil {
			a.cron = cron.New(cron.WithLocation(a.config.Location))
			a.cron.Schedule(a.schedule, cron.FuncJob(a.scheduled))
			if a.states != nil {
				// Stages change at midnight: the retained states follow.
				midnight, _ := cron.ParseStandard("0 0 * * *")
				a.cron.Schedule(midnight, cron.FuncJob(a.states.RefreshAll))
			}
			a.cron.Start()
		}
		a.wg.Add(1)
		go a.loop()
	})
}

// Close stops the schedule and the deliveries, waiting for a pass in progress.
func (a *Job) Close() {
	a.stop()
	if a.cron != nil {
		<-a.cron.Stop().Done()
	}
	a.wg.Wait()
}

// CaughtUp is closed once the start-up catch-up is over, whether it ran or not.
func (a *Job) CaughtUp() <-chan struct{} { return a.caughtUp }

// NextRun returns the first scheduled run after t; zero when the schedule is off.
func (a *Job) NextRun(t time.Time) time.Time {
	if a.schedule == nil {
		return time.Time{}
	}
	return a.schedule.Next(t.In(a.config.Location))
}

// CatchUp runs the job now if a scheduled run was missed: when it never
// ran, or when a scheduled time passed since it last did. It reports
// whether it ran.
func (a *Job) CatchUp(ctx context.Context) (bool, error) {
	if a.schedule == nil {
		return false, nil
	}
	last, err := a.store.LastJobRun(freezer.SystemContext(ctx), JobName)
	if err != nil {
		return false, err
	}
	if !last.IsZero() && a.NextRun(last).After(a.config.Now()) {
		return false, nil
	}
	if _, err := a.Run(ctx); err != nil {
		return false, err
	}
	return true, nil
}

// scheduled is the cron job.
func (a *Job) scheduled() {
	if _, err := a.Run(a.stopped); err != nil {
		a.logRunError(err)
	}
}

func (a *Job) logRunError(err error) {
	switch {
	case errors.Is(err, context.Canceled):
	case freezer.ErrorCode(err) == freezer.ECONFLICT:
		a.logger.Info("alert job skipped: it is running elsewhere", "err", freezer.ErrorMessage(err))
	default:
		a.logger.Error("alert job failed", "err", err)
	}
}

// loop catches up, then delivers what is due whenever kicked, when a
// retry is due, and every PollInterval for deliveries others left.
func (a *Job) loop() {
	defer a.wg.Done()
	if _, err := a.CatchUp(a.stopped); err != nil {
		a.logRunError(err)
	}
	close(a.caughtUp)
	timer := time.NewTimer(a.config.PollInterval)
	defer timer.Stop()
	for {
		select {
		case <-a.stopped.Done():
			return
		case <-a.kick:
		case <-timer.C:
		}
		if _, err := a.deliverPass(a.stopped, 0); err != nil && freezer.ErrorCode(err) != freezer.ECONFLICT {
			a.logRunError(err)
		}
		timer.Reset(a.nextWake())
	}
}

// wake makes the loop look at the deliveries now.
func (a *Job) wake() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// nextWake is the time until the earliest retry, at most PollInterval.
func (a *Job) nextWake() time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	wait := a.config.PollInterval
	if !a.retryAt.IsZero() {
		wait = min(wait, max(a.retryAt.Sub(a.config.Now()), time.Millisecond))
	}
	return wait
}

// Run runs the job now: it records the new alerts and delivers every
// pending one, then republishes the freezers' states. It waits up to
// LockWait for a run in another process (ECONFLICT after that).
func (a *Job) Run(ctx context.Context) (*freezer.AlertRun, error) {
	return a.pass(ctx, a.config.LockWait, true)
}

// Deliver delivers the pending alerts that are due, now, without looking
// for new ones.
func (a *Job) Deliver(ctx context.Context) (*freezer.AlertRun, error) {
	return a.pass(ctx, a.config.LockWait, false)
}

// deliverPass is Deliver for the background loop: it does not wait for the lock.
func (a *Job) deliverPass(ctx context.Context, wait time.Duration) (*freezer.AlertRun, error) {
	return a.pass(ctx, wait, false)
}

// pass runs under the job's lock: look for new alerts (record), then deliver.
func (a *Job) pass(ctx context.Context, wait time.Duration, record bool) (*freezer.AlertRun, error) {
	ctx = freezer.SystemContext(ctx)
	a.mu.Lock()
	defer a.mu.Unlock()
	unlock, err := a.store.LockJob(ctx, JobName, wait)
	if err != nil {
		return nil, err
	}
	defer unlock()
	now := a.config.Now()
	run := &freezer.AlertRun{StartedAt: now.UTC(), Today: freezer.Today(now, a.config.Location),
		Sent: map[string]int{}, Failed: map[string]int{}, Skipped: map[string]int{}}
	settings, err := a.settings(ctx)
	if err != nil {
		return nil, err
	}
	if record {
		if err := a.record(ctx, run, settings); err != nil {
			return nil, err
		}
	}
	if !a.retryAt.After(now) {
		a.retryAt = time.Time{} // due: this pass retries it
	}
	retryAt := a.retryAt
	if err := a.deliver(ctx, run, settings); err != nil {
		return nil, err
	}
	if a.retryAt != retryAt {
		a.wake() // the loop sets its timer for the new retry
	}
	if record {
		if err := a.store.SetJobRun(ctx, JobName, now); err != nil {
			return nil, err
		}
		a.logger.Info("alert job ran", "today", run.Today, "due_soon", run.DueSoon, "overdue", run.Overdue,
			"sent", run.Sent, "failed", run.Failed)
	}
	if a.states != nil && (record || len(run.Sent) > 0) {
		a.states.RefreshAll()
	}
	return run, nil
}

// settings returns every household's alert settings by household.
func (a *Job) settings(ctx context.Context) (freezer.AlertSettingsIndex, error) {
	list, err := a.store.FindAllAlertSettings(ctx)
	if err != nil {
		return nil, err
	}
	return freezer.IndexAlertSettings(list), nil
}

// record stores an alert for each product that reached a stage it was not
// alerted at. A product found already overdue gets the overdue alert only.
func (a *Job) record(ctx context.Context, run *freezer.AlertRun, settings freezer.AlertSettingsIndex) error {
	candidates, err := a.store.FindAlertCandidates(ctx)
	if err != nil {
		return err
	}
	for _, c := range candidates {
		stage := c.Product.Stage(run.Today, c.DueSoonDays)
		switch {
		case stage == freezer.StageOverdue && !c.OverdueSent:
		case stage == freezer.StageDueSoon && !c.DueSoonSent:
		default:
			continue
		}
		alert := &freezer.Alert{HouseholdID: c.Product.HouseholdID, ProductID: c.Product.ID, Stage: stage, UseBy: c.Product.UseBy()}
		created, err := a.store.RecordAlert(ctx, alert, settings.Of(alert.HouseholdID).Channels())
		if err != nil {
			return fmt.Errorf("record alert of product %d: %w", c.Product.ID, err)
		}
		if created && stage == freezer.StageOverdue {
			run.Overdue++
		} else if created {
			run.DueSoon++
		}
	}
	return nil
}
