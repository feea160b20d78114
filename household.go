package freezer

import (
	"context"
	"strings"
	"time"
)

// Household owns freezers and products; its members share them.
type Household struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	DueSoonDays int       `json:"due_soon_days"` // days before the end of a period that count as "due soon"
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// MaxNameLength bounds every name (household, freezer, product, device,
// token), in characters: the original system allowed 256.
const MaxNameLength = 256

// Validate returns EINVALID when a field is out of range.
func (h *Household) Validate() error {
	if err := validateName("name", h.Name); err != nil {
		return err
	}
	if h.DueSoonDays < 0 || h.DueSoonDays > 366 {
		return Errorf(EINVALID, "due_soon_days must be between 0 and 366.")
	}
	return nil
}

// Member is a user's membership of a household.
type Member struct {
	UserID   int64     `json:"user_id"`
	Email    string    `json:"email"`
	Role     string    `json:"role"` // RoleOwner or RoleMember
	JoinedAt time.Time `json:"joined_at"`
}

// Invitation asks the user with an e-mail address to join a household.
// Only that user may accept it (becoming a member) or decline it; members
// of the household see it and may withdraw it.
type Invitation struct {
	ID            int64     `json:"id"`
	HouseholdID   int64     `json:"household_id"`
	HouseholdName string    `json:"household_name"`
	Email         string    `json:"email"`
	InvitedBy     string    `json:"invited_by"` // the inviting member's e-mail, "" once their account is gone
	CreatedAt     time.Time `json:"created_at"`
}

// Membership roles.
const (
	RoleOwner  = "owner"
	RoleMember = "member"
)

// HouseholdUpdate holds the fields to change; nil keeps the current value.
type HouseholdUpdate struct {
	Name        *string `json:"name"`
	DueSoonDays *int    `json:"due_soon_days"`
}

// HouseholdService manages households and their members. Every method sees
// only the actor's households: others are ENOTFOUND.
type HouseholdService interface {
	// FindHouseholdByID returns one household, or ENOTFOUND.
	FindHouseholdByID(ctx context.Context, id int64) (*Household, error)
	// FindHouseholds returns the actor's households, ordered by id.
	FindHouseholds(ctx context.Context) ([]*Household, error)
	// CreateHousehold creates a household owned by the acting user (EINVALID, EUNAUTHORIZED).
	CreateHousehold(ctx context.Context, h *Household) error
	// UpdateHousehold changes a household (ENOTFOUND, EINVALID).
	UpdateHousehold(ctx context.Context, id int64, upd HouseholdUpdate) (*Household, error)
	// FindMembers lists the members of a household (ENOTFOUND).
	FindMembers(ctx context.Context, householdID int64) ([]*Member, error)
	// InviteMember invites an e-mail address into a household: nobody joins
	// without accepting, and the answer is the same whether the address has
	// an account or not (ENOTFOUND for an unknown household, EINVALID for a
	// malformed address, ECONFLICT when it is already a member's). Inviting
	// an address again returns its pending invitation.
	InviteMember(ctx context.Context, householdID int64, email string) (*Invitation, error)
	// FindInvitations lists the invitations of the acting user's address (EUNAUTHORIZED without a user).
	FindInvitations(ctx context.Context) ([]*Invitation, error)
	// FindHouseholdInvitations lists a household's pending invitations (ENOTFOUND).
	FindHouseholdInvitations(ctx context.Context, householdID int64) ([]*Invitation, error)
	// AcceptInvitation makes the acting user, whose address was invited, a
	// member (ENOTFOUND for another's invitation).
	AcceptInvitation(ctx context.Context, id int64) (*Member, error)
	// DeclineInvitation removes an invitation: the invitee declines it, or a
	// member of the household withdraws it (ENOTFOUND otherwise).
	DeclineInvitation(ctx context.Context, id int64) error
	// RemoveMember removes a user from a household; a user may remove
	// themselves (leave). The last member cannot leave (ECONFLICT).
	RemoveMember(ctx context.Context, householdID, userID int64) error
}

func validateName(field, name string) error {
	if strings.TrimSpace(name) == "" {
		return fieldError(field, "%s is required.", field)
	}
	if strings.ContainsAny(name, "\r\n\t") {
		return fieldError(field, "%s must be on one line.", field)
	}
	return validateText(field, name, MaxNameLength)
}
