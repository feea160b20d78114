package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	freezer "github.com/freezer-manager/freezer"
)

func runUser(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return usageError{errors.New(`usage: freezerd user add --email E --password P [--admin] [--language en|fr]`)}
	}
	var cfg Config
	var reg freezer.Registration
	fs := newFlagSet("user add", stderr)
	cfg.register(fs)
	fs.StringVar(&reg.Email, "email", "", "e-mail address (the sign-in name)")
	fs.StringVar(&reg.Password, "password", "", `password, at least 8 characters; "-" reads it from the first line of standard input`)
	fs.BoolVar(&reg.Admin, "admin", false, "make the user an administrator")
	fs.StringVar(&reg.Language, "language", freezer.LanguageEnglish, "language: en or fr")
	fs.StringVar(&reg.HouseholdName, "household", "Home", "name of the user's household")
	if err := parseCommand(fs, args[1:], getenv); err != nil {
		return err
	}
	if reg.Email == "" || reg.Password == "" {
		return usageError{errors.New("--email and --password are required")}
	}
	if reg.Password == "-" {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read password: %w", err)
		}
		reg.Password = strings.TrimRight(line, "\r\n")
	}
	reg.TokenName = "freezerd user add"
	store, err := openDB(ctx, &cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	out, err := store.RegisterUser(freezer.SystemContext(ctx), reg)
	if err != nil {
		return fmt.Errorf("add user: %w", domainError(err))
	}
	return printJSON(stdout, map[string]any{"user_id": out.User.ID, "household_id": out.Household.ID, "token": out.Token})
}

// printJSON writes v as one line of JSON: the output meant for scripts.
func printJSON(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}

// domainError shows a domain error by its message alone, and keeps the
// details of an unexpected one.
func domainError(err error) error {
	if code := freezer.ErrorCode(err); code != freezer.EINTERNAL {
		return errors.New(freezer.ErrorMessage(err))
	}
	return err
}
