package kafkaio

// negotiation is what New learnt from the broker before returning: the API
// versions it supports, and the SASL session.
type negotiation struct{}
