package freezer

import (
	"context"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Alert channels: where a household hears about its alerts.
const (
	ChannelMQTT    = "mqtt"    // an event on freezer/v1/household/{h}/alerts
	ChannelWebhook = "webhook" // an HTTP POST per alert
	ChannelEmail   = "email"   // a digest per run
)

// Webhook formats.
const (
	WebhookJSON = "json" // the alert event as a JSON body
	WebhookNtfy = "ntfy" // a text body with ntfy's Title, Tags and Priority headers
)

// SMTP connection security.
const (
	SMTPStartTLS = "starttls" // plain connection upgraded with STARTTLS (required)
	SMTPTLS      = "tls"      // TLS from the first byte (port 465)
	SMTPNone     = "none"     // no encryption: only for a relay on a trusted network
)

// DefaultDiscoveryPrefix is Home Assistant's MQTT discovery prefix.
const DefaultDiscoveryPrefix = "homeassistant"

// HomeAssistantIDPrefix starts every id the server gives Home Assistant:
// the node id of a household's discovery configs, its devices' identifiers
// and its entities' unique ids (devices builds them all from it).
const HomeAssistantIDPrefix = "freezer_manager_"

// Bounds of the alert settings.
const (
	MaxWebhookURLLength = 2048
	MaxSecretLength     = 512
	MaxEmailRecipients  = 10
)

// AlertSettings are a household's alert channels and its Home Assistant
// discovery. Secrets (the webhook token, the SMTP password) never leave the
// server: they have no JSON name, and TokenSet/PasswordSet tell whether
// one is stored.
type AlertSettings struct {
	HouseholdID   int64                 `json:"household_id"`
	MQTT          bool                  `json:"mqtt"` // publish alert events on the household's alerts topic
	Webhook       WebhookSettings       `json:"webhook"`
	Email         EmailSettings         `json:"email"`
	HomeAssistant HomeAssistantSettings `json:"home_assistant"`
	UpdatedAt     *time.Time            `json:"updated_at"` // nil while the defaults apply
}

// WebhookSettings name the URL each alert is posted to; an empty URL disables the channel.
type WebhookSettings struct {
	URL      string `json:"url"`
	Format   string `json:"format"` // WebhookJSON or WebhookNtfy
	Token    string `json:"-"`      // sent as "Authorization: Bearer <token>"
	TokenSet bool   `json:"token_set"`
}

// EmailSettings describe the digest e-mail and the SMTP server that sends
// it; no recipient disables the channel.
type EmailSettings struct {
	To           []string `json:"to"`
	From         string   `json:"from"`
	SMTPHost     string   `json:"smtp_host"`
	SMTPPort     int      `json:"smtp_port"`
	SMTPUsername string   `json:"smtp_username"` // "" sends without AUTH
	SMTPPassword string   `json:"-"`
	PasswordSet  bool     `json:"smtp_password_set"`
	SMTPTLS      string   `json:"smtp_tls"` // SMTPStartTLS, SMTPTLS or SMTPNone
}

// HomeAssistantSettings control the MQTT discovery of the household's entities.
type HomeAssistantSettings struct {
	Discovery bool   `json:"discovery"`
	Prefix    string `json:"discovery_prefix"`
}

// DefaultAlertSettings are the settings of a household that never changed
// them: MQTT events and Home Assistant discovery on, nothing else.
func DefaultAlertSettings(householdID int64) *AlertSettings {
	return &AlertSettings{
		HouseholdID:   householdID,
		MQTT:          true,
		Webhook:       WebhookSettings{Format: WebhookJSON},
		Email:         EmailSettings{To: []string{}, SMTPPort: 587, SMTPTLS: SMTPStartTLS},
		HomeAssistant: HomeAssistantSettings{Discovery: true, Prefix: DefaultDiscoveryPrefix},
	}
}

// AlertSettingsIndex holds households' alert settings by household.
type AlertSettingsIndex map[int64]*AlertSettings

// IndexAlertSettings indexes a list of settings by household.
func IndexAlertSettings(list []*AlertSettings) AlertSettingsIndex {
	m := make(AlertSettingsIndex, len(list))
	for _, s := range list {
		m[s.HouseholdID] = s
	}
	return m
}

// Of returns a household's settings, the defaults when it has none.
func (m AlertSettingsIndex) Of(householdID int64) *AlertSettings {
	if s := m[householdID]; s != nil {
		return s
	}
	return DefaultAlertSettings(householdID)
}

// Channels returns the channels the settings enable.
func (s *AlertSettings) Channels() []string {
	var list []string
	if s.MQTT {
		list = append(list, ChannelMQTT)
	}
	if s.Webhook.URL != "" {
		list = append(list, ChannelWebhook)
	}
	if len(s.Email.To) > 0 {
		list = append(list, ChannelEmail)
	}
	return list
}

// Enabled reports whether channel is one the settings enable.
func (s *AlertSettings) Enabled(channel string) bool {
	for _, c := range s.Channels() {
		if c == channel {
			return true
		}
	}
	return false
}

// Public returns a copy fit for a client: secrets out, their *Set flags
// on, and any password of the webhook URL masked.
func (s *AlertSettings) Public() *AlertSettings {
	c := *s
	c.Email.To = append([]string{}, s.Email.To...)
	c.Webhook.TokenSet, c.Webhook.Token = s.Webhook.Token != "", ""
	c.Email.PasswordSet, c.Email.SMTPPassword = s.Email.SMTPPassword != "", ""
	c.Webhook.URL = RedactURL(s.Webhook.URL)
	return &c
}

// RedactURL masks the password of a URL's user information, if any.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	return u.Redacted()
}

// Validate returns EINVALID, naming the field at fault, when a setting is out of range.
func (s *AlertSettings) Validate() error {
	if err := s.Webhook.validate(); err != nil {
		return err
	}
	if err := s.Email.validate(); err != nil {
		return err
	}
	return ValidateDiscoveryPrefix(s.HomeAssistant.Prefix)
}

func (w *WebhookSettings) validate() error {
	if w.Format != WebhookJSON && w.Format != WebhookNtfy {
		return Errorf(EINVALID, "webhook.format must be %q or %q.", WebhookJSON, WebhookNtfy)
	}
	if err := validateSecret("webhook.token", w.Token); err != nil {
		return err
	}
	if w.URL == "" {
		return nil
	}
	if len(w.URL) > MaxWebhookURLLength {
		return Errorf(EINVALID, "webhook.url is longer than %d characters.", MaxWebhookURLLength)
	}
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(w.URL, " \t\r\n") {
		return Errorf(EINVALID, "webhook.url must be an http:// or https:// URL.")
	}
	return nil
}

func (e *EmailSettings) validate() error {
	if len(e.To) > MaxEmailRecipients {
		return Errorf(EINVALID, "email.to has more than %d addresses.", MaxEmailRecipients)
	}
	for i, addr := range e.To {
		if err := validateAddress(addr); err != nil {
			return Errorf(EINVALID, "email.to[%d] is not an e-mail address.", i)
		}
	}
	if e.SMTPTLS != SMTPStartTLS && e.SMTPTLS != SMTPTLS && e.SMTPTLS != SMTPNone {
		return Errorf(EINVALID, "email.smtp_tls must be %q, %q or %q.", SMTPStartTLS, SMTPTLS, SMTPNone)
	}
	if e.SMTPPort < 1 || e.SMTPPort > 65535 {
		return Errorf(EINVALID, "email.smtp_port must be between 1 and 65535.")
	}
	if e.SMTPHost != "" && (strings.ContainsAny(e.SMTPHost, " \t\r\n/:@") || len(e.SMTPHost) > 253) {
		return Errorf(EINVALID, "email.smtp_host must be a host name or an IP address, without a port.")
	}
	if err := validateSecret("email.smtp_username", e.SMTPUsername); err != nil {
		return err
	}
	if err := validateSecret("email.smtp_password", e.SMTPPassword); err != nil {
		return err
	}
	if e.From != "" && validateAddress(e.From) != nil {
		return Errorf(EINVALID, "email.from is not an e-mail address.")
	}
	if len(e.To) > 0 && e.SMTPHost == "" {
		return Errorf(EINVALID, "email.smtp_host is required to send e-mail.")
	}
	if len(e.To) > 0 && e.From == "" {
		return Errorf(EINVALID, "email.from is required to send e-mail.")
	}
	return nil
}

// validateAddress accepts a bare address such as "ann@example.com".
func validateAddress(s string) error {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 {
		return Errorf(EINVALID, "Not an e-mail address.")
	}
	return nil
}

func validateSecret(field, s string) error {
	if len(s) > MaxSecretLength {
		return Errorf(EINVALID, "%s is longer than %d characters.", field, MaxSecretLength)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return Errorf(EINVALID, "%s contains a control character.", field)
		}
	}
	return nil
}

// ValidateDiscoveryPrefix accepts an MQTT topic of one or more non-empty
// levels without wildcards, such as "homeassistant". No level may be a
// household's node id ("freezer_manager_2"), so that one household's
// configs never land under another's; the topic root of the MQTT contract
// is kept out by DiscoveryPrefixOverlaps, which needs the configured root.
func ValidateDiscoveryPrefix(prefix string) error {
	if prefix == "" || len(prefix) > 64 {
		return Errorf(EINVALID, "home_assistant.discovery_prefix must have 1 to 64 characters.")
	}
	for _, level := range strings.Split(prefix, "/") {
		if level == "" {
			return Errorf(EINVALID, "home_assistant.discovery_prefix must not have empty levels.")
		}
		for _, r := range level {
			ok := r == '_' || r == '-' || r == '.' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
			if !ok {
				return Errorf(EINVALID, "home_assistant.discovery_prefix may use only letters, digits, '_', '-', '.' and '/'.")
			}
		}
		if strings.HasPrefix(strings.ToLower(level), HomeAssistantIDPrefix) {
			return Errorf(EINVALID, "home_assistant.discovery_prefix must not name a household's node (freezer_manager_…).")
		}
	}
	return nil
}

// DiscoveryPrefixOverlaps returns EINVALID when discovery topics under
// prefix could fall inside the tree of the MQTT contract under root (the
// devices' and households' topics), or the other way round.
func DiscoveryPrefixOverlaps(prefix, root string) error {
	if prefix == root || strings.HasPrefix(prefix, root+"/") || strings.HasPrefix(root, prefix+"/") {
		return Errorf(EINVALID, "home_assistant.discovery_prefix must stay outside the server's topics under %q.", root)
	}
	return nil
}

// AlertSettingsUpdate holds the settings to change; nil keeps the current
// value. A secret left out is kept only while what it opens stays the same:
// changing the webhook URL drops its token, changing the SMTP host, port or
// user drops the password, so that a stored secret is never sent elsewhere.
type AlertSettingsUpdate struct {
	MQTT          *bool                        `json:"mqtt"`
	Webhook       *WebhookSettingsUpdate       `json:"webhook"`
	Email         *EmailSettingsUpdate         `json:"email"`
	HomeAssistant *HomeAssistantSettingsUpdate `json:"home_assistant"`
}

// WebhookSettingsUpdate changes the webhook; Token "" removes the token.
type WebhookSettingsUpdate struct {
	URL    *string `json:"url"`
	Format *string `json:"format"`
	Token  *string `json:"token"`
}

// EmailSettingsUpdate changes the digest e-mail; SMTPPassword "" removes the password.
type EmailSettingsUpdate struct {
	To           *[]string `json:"to"`
	From         *string   `json:"from"`
	SMTPHost     *string   `json:"smtp_host"`
	SMTPPort     *int      `json:"smtp_port"`
	SMTPUsername *string   `json:"smtp_username"`
	SMTPPassword *string   `json:"smtp_password"`
	SMTPTLS      *string   `json:"smtp_tls"`
}

// HomeAssistantSettingsUpdate changes the discovery settings.
type HomeAssistantSettingsUpdate struct {
	Discovery *bool   `json:"discovery"`
	Prefix    *string `json:"discovery_prefix"`
}

// Apply copies the set fields of upd onto s, with the rules on secrets above.
func (upd AlertSettingsUpdate) Apply(s *AlertSettings) {
	setIf(&s.MQTT, upd.MQTT)
	if w := upd.Webhook; w != nil {
		// A client that sends back the masked URL it read keeps the stored one.
		if w.URL != nil && *w.URL != s.Webhook.URL && *w.URL != RedactURL(s.Webhook.URL) {
			s.Webhook.URL, s.Webhook.Token = strings.TrimSpace(*w.URL), ""
		}
		setIf(&s.Webhook.Format, w.Format)
		setIf(&s.Webhook.Token, w.Token)
	}
	if e := upd.Email; e != nil {
		before := [3]string{s.Email.SMTPHost, s.Email.SMTPUsername, strconv.Itoa(s.Email.SMTPPort)}
		if e.To != nil {
			s.Email.To = append([]string{}, *e.To...)
		}
		setIf(&s.Email.From, e.From)
		setIf(&s.Email.SMTPHost, e.SMTPHost)
		setIf(&s.Email.SMTPPort, e.SMTPPort)
		setIf(&s.Email.SMTPUsername, e.SMTPUsername)
		setIf(&s.Email.SMTPTLS, e.SMTPTLS)
		if before != [3]string{s.Email.SMTPHost, s.Email.SMTPUsername, strconv.Itoa(s.Email.SMTPPort)} {
			s.Email.SMTPPassword = ""
		}
		setIf(&s.Email.SMTPPassword, e.SMTPPassword)
	}
	if h := upd.HomeAssistant; h != nil {
		setIf(&s.HomeAssistant.Discovery, h.Discovery)
		setIf(&s.HomeAssistant.Prefix, h.Prefix)
	}
}

// AlertSettingsService reads and changes the alert settings of the actor's households.
type AlertSettingsService interface {
	// FindAlertSettings returns a household's settings, the defaults when
	// it never changed them (ENOTFOUND).
	FindAlertSettings(ctx context.Context, householdID int64) (*AlertSettings, error)
	// UpdateAlertSettings changes a household's settings (ENOTFOUND, EINVALID).
	UpdateAlertSettings(ctx context.Context, householdID int64, upd AlertSettingsUpdate) (*AlertSettings, error)
}

// AlertCandidate is a product inside that may deserve an alert, with what
// the alert job needs to decide.
type AlertCandidate struct {
	Product     *Product
	DueSoonDays int  // its household's due-soon window
	DueSoonSent bool // a due-soon alert was already recorded for it
	OverdueSent bool // an overdue alert was already recorded for it
}

// Delivery states of an alert on one channel.
const (
	DeliveryPending = "pending" // waiting for its (next) attempt
	DeliverySending = "sending" // claimed by a process that is sending it
	DeliverySent    = "sent"
	DeliveryFailed  = "failed"  // given up after too many attempts
	DeliverySkipped = "skipped" // not sent: the product was taken out or the channel turned off
)

// AlertDelivery is one alert on its way to one channel, with the product
// as it is now.
type AlertDelivery struct {
	ID            int64
	Channel       string
	Attempts      int // attempts made before this one
	Alert         Alert
	Product       Product
	FreezerName   string
	HouseholdName string
}

// DeliveryOutcome is what became of a claimed delivery.
type DeliveryOutcome struct {
	Status      string    // DeliverySent, DeliveryPending (retry at NextAttempt), DeliveryFailed or DeliverySkipped
	NextAttempt time.Time // DeliveryPending only
	Error       string    // why the attempt failed or was skipped
}

// AlertStore is what the alert job reads and records, acting as the system.
type AlertStore interface {
	// LockJob takes the database-wide lock of job name, waiting up to wait
	// for another process to release it (ECONFLICT when it does not). The
	// returned function releases it.
	LockJob(ctx context.Context, name string, wait time.Duration) (unlock func(), err error)
	// LastJobRun returns when job name last ran to its end; zero if never.
	LastJobRun(ctx context.Context, name string) (time.Time, error)
	// SetJobRun records that job name ran at t.
	SetJobRun(ctx context.Context, name string, t time.Time) error
	// FindAllAlertSettings returns the settings of every household, the
	// defaults for those that never changed them.
	FindAllAlertSettings(ctx context.Context) ([]*AlertSettings, error)
	// FindAlertCandidates returns the products inside that have no overdue
	// alert yet: the only ones that may still need one.
	FindAlertCandidates(ctx context.Context) ([]*AlertCandidate, error)
	// RecordAlert stores an alert once per (product, stage), with a pending
	// delivery on each of channels; false when it was already recorded.
	RecordAlert(ctx context.Context, a *Alert, channels []string) (bool, error)
	// ClaimDeliveries marks up to limit pending deliveries on channels that
	// are due at now as being sent by the caller, and returns them; a
	// delivery claimed by a process that died is pending again after a while.
	ClaimDeliveries(ctx context.Context, channels []string, now time.Time, limit int) ([]*AlertDelivery, error)
	// FinishDelivery records the outcome of a claimed delivery.
	FinishDelivery(ctx context.Context, id int64, outcome DeliveryOutcome) error
	// FindProducts returns the products matching filter: the digest's
	// first lines are what to eat next (SortByEatNext).
	FindProducts(ctx context.Context, filter ProductFilter) ([]*Product, error)
}

// AlertRun reports one run of the alert job.
type AlertRun struct {
	StartedAt time.Time      `json:"started_at"`
	Today     Date           `json:"today"`    // the day the stages were computed for
	DueSoon   int            `json:"due_soon"` // new due-soon alerts
	Overdue   int            `json:"overdue"`  // new overdue alerts
	Sent      map[string]int `json:"sent"`     // deliveries sent, per channel
	Failed    map[string]int `json:"failed"`   // attempts that failed, per channel (retried later unless given up)
	Skipped   map[string]int `json:"skipped"`  // deliveries dropped, per channel
}
