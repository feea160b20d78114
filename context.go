package freezer

import "context"

// ActorKind tells who is acting on the services.
type ActorKind int

// The kinds of actor. Services see only what their actor may see.
const (
	ActorNone   ActorKind = iota // nobody: every scoped call fails with EUNAUTHORIZED
	ActorUser                    // a signed-in user: their households only
	ActorDevice                  // an MQTT device: its own household only
	ActorSystem                  // the server itself (command line, importer, jobs): everything
)

// Actor is the identity a service call runs as.
type Actor struct {
	Kind        ActorKind
	UserID      int64  // ActorUser
	Admin       bool   // ActorUser: may manage product types and users
	DeviceID    string // ActorDevice
	HouseholdID int64  // ActorDevice: the device's household
}

type actorKey struct{}

// NewContextWithActor returns a copy of ctx that carries actor.
func NewContextWithActor(ctx context.Context, actor Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// NewContextWithUser returns a copy of ctx acting as user u.
func NewContextWithUser(ctx context.Context, u *User) context.Context {
	return NewContextWithActor(ctx, Actor{Kind: ActorUser, UserID: u.ID, Admin: u.Admin})
}

// SystemContext returns a copy of ctx acting as the server itself.
func SystemContext(ctx context.Context) context.Context {
	return NewContextWithActor(ctx, Actor{Kind: ActorSystem})
}

// ActorFromContext returns the actor carried by ctx, or an ActorNone actor.
func ActorFromContext(ctx context.Context) Actor {
	a, _ := ctx.Value(actorKey{}).(Actor)
	return a
}
