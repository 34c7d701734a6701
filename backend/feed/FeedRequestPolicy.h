#pragma once

#include "feed/FeedHttpConnection.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QStringList>
#include <optional>

// Who may ask the feed what (docs/security.md, "The feed's boundary"): the Host and Origin
// checks against DNS rebinding and cross-site WebSockets, and the token. Pure functions.
namespace FeedRequestPolicy {

// Host is an IP literal (a rebinding page cannot make a browser send one for its own name),
// "localhost", or one of `allowedHosts` (-feed-allowed-hosts); any port. An absent Host
// (HTTP/1.0) is allowed: browsers always send one.
bool hostAllowed(const QByteArray &host, const QStringList &allowedHosts);

// No Origin (not a browser, or a same-origin GET) is allowed. Otherwise the origin must be
// http(s)://<the request's Host>, or name one of `allowedHosts` (behind a proxy that rewrites
// Host). "null" and every other origin are refused.
bool originAllowed(const QByteArray &origin, const QByteArray &host,
                   const QStringList &allowedHosts);

// The token from "Authorization: Bearer T", or from the query parameter whose raw name is
// exactly "token" (percent-decoded value). A null array when neither is present.
QByteArray presentedToken(const QByteArray &authorization, QByteArrayView rawQuery);

// Compares without an early exit, so the time taken does not reveal a matching prefix.
bool tokensEqual(const QByteArray &presented, const QByteArray &expected);

// The answer to a request refused before routing, and why (one sentence for the log, without
// the request's target or headers).
struct FeedRefusal {
    FeedHttpResponse response;
    QString why;
};

// The checks every request of the feed's HTTP layer passes before it is routed (the feed's port
// and -metrics alike), in this order: limits and framing, no body, GET or HEAD, Host, Origin.
std::optional<FeedRefusal> refusal(const FeedHttpConnection &connection,
                                   const QStringList &allowedHosts);

// The request presents `token` (always true when no token is configured).
bool isAuthorized(const HttpRequestParser &request, const QByteArray &token);

// Splits "host[:port]" / "[v6]:port"; the host without brackets, lower-case. Empty on garbage.
QByteArray hostName(const QByteArray &authority);

} // namespace FeedRequestPolicy
