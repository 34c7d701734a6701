#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>

// One HTTP/1.1 request as bytes for the wire. A request carries "Connection: close" (its own
// connection, so the end of a read-until-close body is unambiguous) unless keepAlive is set.
struct HttpRequest {
    QByteArray method = "GET";
    QByteArray target = "/"; // origin-form, already percent-encoded: "/v1.41/events?filters=..."
    QByteArray host = "docker";
    QList<QPair<QByteArray, QByteArray>> headers; // extra fields; Host/Connection/CL are added
    QByteArray body;                              // sent with Content-Length when non-empty
    bool keepAlive = false; // no "Connection: close": the connection may carry the next request

    // The request bytes, or an empty array with *error set when a field would break framing
    // (CR/LF or other control characters, an invalid method or header name, a relative target).
    QByteArray serialize(QString *error = nullptr) const;
};
