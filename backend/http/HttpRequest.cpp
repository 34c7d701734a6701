#include "http/HttpRequest.h"

namespace {

bool isToken(const QByteArray &s)
{
    if (s.isEmpty())
        return false;
    for (char c : s) {
        const bool alnum =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && !QByteArrayView("!#$%&'*+-.^_`|~").contains(c))
            return false;
    }
    return true;
}

// Visible ASCII only: no space, no control characters, no obs-text.
bool isVisible(const QByteArray &s, bool allowSpace)
{
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c > 0x7e || c < 0x20 || (c == ' ' && !allowSpace))
            return false;
    }
    return true;
}

// Sets *error and returns the empty array that signals failure.
QByteArray rejected(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return QByteArray();
}

} // namespace

QByteArray HttpRequest::serialize(QString *error) const
{
    if (!isToken(method))
        return rejected(error, QStringLiteral("invalid HTTP method"));
    if (!target.startsWith('/') || !isVisible(target, false))
        return rejected(error, QStringLiteral("invalid request target \"%1\"")
                                   .arg(QString::fromLatin1(target.toPercentEncoding("/?=&"))));
    if (host.isEmpty() || !isVisible(host, false))
        return rejected(error, QStringLiteral("invalid Host"));

    QByteArray out;
    out.reserve(128 + target.size() + body.size());
    out += method + ' ' + target + " HTTP/1.1\r\nHost: " + host + "\r\n";
    for (const auto &h : headers) {
        if (!isToken(h.first) || !isVisible(h.second, true))
            return rejected(error, QStringLiteral("invalid header field \"%1\"")
                                       .arg(QString::fromLatin1(h.first.toPercentEncoding())));
        const QByteArray lower = h.first.toLower();
        if (lower == "host" || lower == "connection" || lower == "content-length" ||
            lower == "transfer-encoding")
            return rejected(error, QStringLiteral("header %1 is set by the request writer")
                                       .arg(QString::fromLatin1(h.first)));
        out += h.first + ": " + h.second + "\r\n";
    }
    if (!body.isEmpty() || method == "POST" || method == "PUT")
        out += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    out += keepAlive ? QByteArrayLiteral("\r\n") : QByteArrayLiteral("Connection: close\r\n\r\n");
    out += body;
    return out;
}
