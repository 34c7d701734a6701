#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QStringList>

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

// Splits "host[:port]" / "[v6]:port"; the host without brackets, lower-case. Empty on garbage.
QByteArray hostName(const QByteArray &authority);

} // namespace FeedRequestPolicy
