package freezer

// DefaultDueSoonDays is how many days before the end of its period a product
// counts as due soon, unless its household sets another value.
const DefaultDueSoonDays = 14

// UseBy returns the last day a product put in on dateIn may stay in the
// freezer: dateIn plus period calendar months (clamped at month ends).
func UseBy(dateIn Date, periodMonths int) Date {
	return dateIn.AddMonths(periodMonths)
}

// IsOverdue reports whether a product put in on dateIn for periodMonths has
// stayed too long on today: today is after its use-by day.
func IsOverdue(dateIn Date, periodMonths int, today Date) bool {
	return today.After(UseBy(dateIn, periodMonths))
}

// IsDueSoon reports whether the product is not overdue yet but its use-by day
// is at most dueSoonDays away from today.
func IsDueSoon(dateIn Date, periodMonths int, today Date, dueSoonDays int) bool {
	useBy := UseBy(dateIn, periodMonths)
	return !today.After(useBy) && !today.Before(useBy.AddDays(-dueSoonDays))
}
