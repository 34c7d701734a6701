#pragma once

// Shared by the HttpResponseParser tests (tst_httpresponseparser_messages, _limits, _body).
// Header-only.

#include "http/HttpResponseParser.h"

#include <QFile>
#include <QList>

inline QByteArray fixture(const char *name)
{
    QFile f(QStringLiteral(PORTOLAN_TEST_DATA "/docker/") + QLatin1String(name));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", name);
    return f.readAll();
}

// Feeds `raw` in pieces of `step` bytes (0: all at once) and collects the body with takeBody().
inline QByteArray feedAll(HttpResponseParser &p, const QByteArray &raw, int step)
{
    QByteArray body;
    if (step <= 0) {
        p.feed(raw);
        return p.takeBody();
    }
    for (qsizetype i = 0; i < raw.size() && !p.hasError(); i += step) {
        p.feed(QByteArrayView(raw).sliced(i, qMin<qsizetype>(step, raw.size() - i)));
        body += p.takeBody();
    }
    return body;
}

inline constexpr int Steps[] = {0, 1, 2, 7, 64};

inline QByteArray chunked(const QList<QByteArray> &chunks, const QByteArray &trailer = {})
{
    QByteArray out = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (const QByteArray &c : chunks)
        out += QByteArray::number(c.size(), 16) + "\r\n" + c + "\r\n";
    return out + "0\r\n" + trailer + "\r\n";
}
