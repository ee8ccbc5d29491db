package httpapi

// RenderGigapayEvent exposes the Gigapay scheme's body renderer, so that the
// external tests can say what a Gigapay webhook of a recorded event must be.
var RenderGigapayEvent = renderGigapayEvent
