import TrunkStore

// The store records that are part of TrunkCore's own API, so the screens (TrunkTUI) speak to TrunkCore only and
// never import the store (the architecture table). Each is a plain Equatable value; no GRDB type is behind them.

/// One SIP message of a stored trace.
public typealias TraceMessage = TrunkStore.TraceMessage
/// One call-log row.
public typealias CallLog = TrunkStore.CallLog
/// Where a page of call logs ends, to read the next one (keyset paging).
public typealias CallLogCursor = TrunkStore.CallLogCursor
/// Which calls a page of call logs holds.
public typealias CallLogQuery = TrunkStore.CallLogQuery
/// A trunk's registration as stored for the dashboard.
public typealias RegistrationState = TrunkStore.RegistrationState
/// A notification waiting in the durable outbox (issue 15), for the deliverer in TrunkRuntime.
public typealias OutboxDelivery = TrunkStore.OutboxDelivery
/// An alert as stored, for the judge's actions.
public typealias AlertRecord = TrunkStore.AlertRecord
