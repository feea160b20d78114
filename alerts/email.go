package alerts

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/smtp"
	"slices"
	"strconv"
	"strings"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/devices"
)

// digestEatNext is how many products the digest's "eat next" lines name.
const digestEatNext = 5

// sendDigest e-mails one message listing a household's alerts of a pass,
// after what it should eat next.
func (a *Job) sendDigest(ctx context.Context, e freezer.EmailSettings, list []*freezer.AlertDelivery, today freezer.Date) error {
	msgs := make([]devices.AlertMessage, len(list))
	for i, d := range list {
		msgs[i] = a.message(d, today)
	}
	inside := true
	next, err := a.store.FindProducts(freezer.SystemContext(ctx), freezer.ProductFilter{HouseholdID: &list[0].Alert.HouseholdID,
		Inside: &inside, Sort: freezer.SortByEatNext, Limit: digestEatNext})
	if err != nil {
		return fmt.Errorf("digest: what to eat next: %w", err)
	}
	return a.sendMail(ctx, e, digestMessage(e, msgs, next, today, a.config.Now(), a.config.Hostname))
}

// sendMail sends one message through the household's SMTP server: STARTTLS
// (required) or TLS unless turned off, and AUTH PLAIN when a user is set,
// which net/smtp refuses over a plain connection except to localhost.
func (a *Job) sendMail(ctx context.Context, e freezer.EmailSettings, msg []byte) error {
	ctx, cancel := context.WithTimeout(ctx, a.config.SendTimeout)
	defer cancel()
	addr := net.JoinHostPort(e.SMTPHost, strconv.Itoa(e.SMTPPort))
	conn, err := a.config.Guard.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	tlsConfig := a.tlsConfig(e.SMTPHost)
	if e.SMTPTLS == freezer.SMTPTLS {
		tc := tls.Client(conn, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("smtp: tls: %w", err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, e.SMTPHost)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	defer c.Close()
	if err := c.Hello(a.config.Hostname); err != nil {
		return fmt.Errorf("smtp: hello: %w", err)
	}
	if e.SMTPTLS == freezer.SMTPStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return errors.New("smtp: the server does not offer STARTTLS (set smtp_tls to \"none\" for a relay without encryption)")
		}
		if err := c.StartTLS(tlsConfig); err != nil {
			return fmt.Errorf("smtp: starttls: %w", err)
		}
	}
	if e.SMTPUsername != "" {
		if err := c.Auth(smtp.PlainAuth("", e.SMTPUsername, e.SMTPPassword, e.SMTPHost)); err != nil {
			return fmt.Errorf("smtp: auth: %w", err)
		}
	}
	if err := c.Mail(e.From); err != nil {
		return fmt.Errorf("smtp: mail from: %w", err)
	}
	for _, to := range e.To {
		if err := c.Rcpt(to); err != nil {
			return fmt.Errorf("smtp: rcpt to %s: %w", to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp: data: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("smtp: data: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp: data: %w", err)
	}
	if err := c.Quit(); err != nil {
		return fmt.Errorf("smtp: quit: %w", err)
	}
	return nil
}

func (a *Job) tlsConfig(host string) *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if a.config.TLSConfig != nil {
		c = a.config.TLSConfig.Clone()
	}
	c.ServerName = host
	return c
}

// digestMessage writes the digest e-mail: headers, then a plain-text body
// in quoted-printable so that any SMTP server carries it unchanged. Its
// first lines are what to eat next.
func digestMessage(e freezer.EmailSettings, msgs []devices.AlertMessage, next []*freezer.Product, today freezer.Date, now time.Time, hostname string) []byte {
	var overdue, soon []devices.AlertMessage
	household := ""
	for _, m := range msgs {
		household = m.Household
		if m.EventType == freezer.AlertOverdue {
			overdue = append(overdue, m)
		} else {
			soon = append(soon, m)
		}
	}
	var counts []string
	if len(overdue) > 0 {
		counts = append(counts, fmt.Sprintf("%d overdue", len(overdue)))
	}
	if len(soon) > 0 {
		counts = append(counts, fmt.Sprintf("%d due soon", len(soon)))
	}
	subject := fmt.Sprintf("Freezer (%s): %s", household, strings.Join(counts, ", "))

	var body strings.Builder
	fmt.Fprintf(&body, "Freezer Manager, household %q.\n", household)
	if len(next) > 0 {
		fmt.Fprintf(&body, "\nEat next:\n")
		for _, p := range next {
			fmt.Fprintf(&body, "- %s, %s (label %s): use by %s%s\n",
				p.Name, freezer.PlaceOf(p).Location(), freezer.ProductCode(p.ID), p.UseBy(), daysText(today.DaysUntil(p.UseBy())))
		}
	}
	for _, part := range []struct {
		title string
		list  []devices.AlertMessage
	}{{"Overdue: eat or throw away", overdue}, {"Due soon", soon}} {
		if len(part.list) == 0 {
			continue
		}
		fmt.Fprintf(&body, "\n%s (%d):\n", part.title, len(part.list))
		for _, m := range part.list {
			fmt.Fprintf(&body, "- %s, %s %s (label %s): in since %s, use by %s%s\n",
				m.Product, m.Freezer, m.Location, m.Label, m.DateIn, m.UseBy, daysText(m.DaysLeft))
		}
	}

	id := make([]byte, 12)
	_, _ = rand.Read(id)
	var b bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", e.From)
	header("To", strings.Join(slices.Clone(e.To), ", "))
	header("Subject", mime.QEncoding.Encode("utf-8", subject))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", "<"+hex.EncodeToString(id)+".alerts@"+hostname+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	header("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	_, _ = qp.Write([]byte(strings.ReplaceAll(body.String(), "\n", "\r\n")))
	_ = qp.Close()
	return b.Bytes()
}

// daysText says how far a use-by day is: " (in 3 days)", " (12 days ago)".
func daysText(days int) string {
	switch {
	case days == 0:
		return " (today)"
	case days == 1:
		return " (tomorrow)"
	case days > 1:
		return fmt.Sprintf(" (in %d days)", days)
	case days == -1:
		return " (yesterday)"
	}
	return fmt.Sprintf(" (%d days ago)", -days)
}
