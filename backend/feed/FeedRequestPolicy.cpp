#include "feed/FeedRequestPolicy.h"

#include <QCryptographicHash>
#include <QHostAddress>
#include <QString>

namespace FeedRequestPolicy {

QByteArray hostName(const QByteArray &authority)
{
    QByteArray host = authority.trimmed().toLower();
    if (host.startsWith('[')) {
        const qsizetype close = host.indexOf(']');
        if (close < 0)
            return {};
        const QByteArray rest = host.mid(close + 1);
        if (!rest.isEmpty() && !rest.startsWith(':'))
            return {};
        return host.mid(1, close - 1);
    }
    const qsizetype colon = host.indexOf(':');
    if (colon >= 0) {
        if (host.indexOf(':', colon + 1) >= 0)
            return {}; // a bare IPv6 address is not a valid Host
        host.truncate(colon);
    }
    return host;
}

namespace {

bool isAllowedName(const QByteArray &name, const QStringList &allowedHosts)
{
    if (name.isEmpty())
        return false;
    for (const QString &allowed : allowedHosts) {
        if (QString::fromLatin1(name).compare(allowed, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

} // namespace

bool hostAllowed(const QByteArray &host, const QStringList &allowedHosts)
{
    if (host.isNull())
        return true;
    const QByteArray name = hostName(host);
    if (name.isEmpty())
        return false;
    if (name == "localhost")
        return true;
    QHostAddress address;
    if (address.setAddress(QString::fromLatin1(name)) &&
        (name.contains(':') || name.count('.') == 3)) // "1" and "1.2" parse too: not literals
        return true;
    return isAllowedName(name, allowedHosts);
}

bool originAllowed(const QByteArray &origin, const QByteArray &host,
                   const QStringList &allowedHosts)
{
    if (origin.isNull())
        return true;
    const QByteArray lower = origin.trimmed().toLower();
    QByteArray authority;
    if (lower.startsWith("http://"))
        authority = lower.mid(7);
    else if (lower.startsWith("https://"))
        authority = lower.mid(8);
    else
        return false; // "null", file:, chrome-extension:, ...
    if (authority.isEmpty() || authority.contains('/'))
        return false;
    if (!host.isEmpty() && authority == host.trimmed().toLower())
        return true;
    return isAllowedName(hostName(authority), allowedHosts);
}

QByteArray presentedToken(const QByteArray &authorization, QByteArrayView rawQuery)
{
    const QByteArray auth = authorization.trimmed();
    if (auth.size() > 7 && auth.left(7).compare("Bearer ", Qt::CaseInsensitive) == 0)
        return auth.mid(7).trimmed();
    // The raw name must be "token": a name only equal after decoding is another parameter.
    const QByteArray query = rawQuery.toByteArray();
    for (const QByteArray &item : query.split('&')) {
        if (item.startsWith("token="))
            return QByteArray::fromPercentEncoding(item.mid(6));
    }
    return {};
}

std::optional<FeedRefusal> refusal(const FeedHttpConnection &connection,
                                   const QStringList &allowedHosts)
{
    using Response = FeedHttpResponse;
    const QList<Response::Header> getOnly = {{"Allow", "GET, HEAD"}};
    const auto refuse = [](Response response, const QString &why) {
        return std::optional<FeedRefusal>(FeedRefusal{std::move(response), why});
    };
    if (const int status = connection.failureStatus())
        return refuse(Response::error(status, connection.failureMessage(), true),
                      connection.failureMessage());
    const HttpRequestParser &request = connection.request();
    const QByteArray method = request.method();
    const bool get = method == "GET" || method == "HEAD";
    if (request.hasBody() && get) {
        const QString why = QStringLiteral("a GET request has no body");
        return refuse(Response::error(400, why, true), why);
    }
    if (!get || request.hasBody()) {
        const QString why = QStringLiteral("the feed is read-only; use GET");
        return refuse(Response::error(405, why, true, getOnly), why);
    }
    const QByteArray host = request.header("host");
    if (!hostAllowed(host, allowedHosts)) {
        const QString why = QStringLiteral("the feed answers only for its IP addresses, "
                                           "localhost and the names in -feed-allowed-hosts");
        return refuse(Response::error(403, why, true), why);
    }
    if (!originAllowed(request.header("origin"), host, allowedHosts)) {
        const QString why = QStringLiteral("cross-origin requests are refused; a page of "
                                           "another origin may not read the feed");
        return refuse(Response::error(403, why, true), why);
    }
    return std::nullopt;
}

bool isAuthorized(const HttpRequestParser &request, const QByteArray &token)
{
    return token.isEmpty() ||
           tokensEqual(presentedToken(request.header("authorization"), request.query()), token);
}

bool tokensEqual(const QByteArray &presented, const QByteArray &expected)
{
    // Hashing first gives equal lengths, so the comparison below never depends on where or
    // whether the inputs differ, and the expected token's length is not revealed either.
    const QByteArray a = QCryptographicHash::hash(presented, QCryptographicHash::Sha256);
    const QByteArray b = QCryptographicHash::hash(expected, QCryptographicHash::Sha256);
    unsigned char difference = 0;
    for (int i = 0; i < a.size(); ++i)
        difference |= static_cast<unsigned char>(a[i] ^ b[i]);
    return difference == 0 && !expected.isEmpty();
}

} // namespace FeedRequestPolicy
