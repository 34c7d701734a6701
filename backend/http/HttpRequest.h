#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>

// One HTTP/1.1 request as bytes for the wire. Every request carries "Connection: close": each
// request uses its own connection, so the end of a read-until-close body is unambiguous.
struct HttpRequest {
    QByteArray method = "GET";
    QByteArray target = "/"; // origin-form, already percent-encoded: "/v1.41/events?filters=..."
    QByteArray host = "docker";
    QList<QPair<QByteArray, QByteArray>> headers; // extra fields; Host/Connection/CL are added
    QByteArray body;                              // sent with Content-Length when non-empty

    // The request bytes, or an empty array with *error set when a field would break framing
    // (CR/LF or other control characters, an invalid method or header name, a relative target).
    QByteArray serialize(QString *error = nullptr) const;
};
