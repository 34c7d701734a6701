#pragma once

#include "http/HttpRequestParser.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPair>
#include <QPointer>
#include <QString>
#include <QTimer>
#include <functional>

class QTcpServer;
class QTcpSocket;

// One answer of the feed. The connection adds the framing and the security headers.
struct FeedHttpResponse {
    using Header = QPair<QByteArray, QByteArray>;
    int status = 200;
    QByteArray contentType = "application/json";
    QByteArray body;
    QList<Header> headers;
    bool close = false; // close the connection once this answer is written

    // {"error": message} as JSON, closing the connection when `close` is set.
    static FeedHttpResponse error(int status, const QString &message, bool close = false,
                                  const QList<Header> &headers = {});
    // The bytes for the wire; a HEAD answer has the headers of GET and no body.
    QByteArray serialize(bool head, bool closing) const;
};

// One plain HTTP connection to the feed, until it closes or becomes a WebSocket. It reads one
// request head at a time with the strict parser and reads nothing more until that request is
// answered and the answers are nearly all in the kernel, so answers keep request order and
// the requests and answers of a client that does not read wait in the kernel, not here.
// The head must be complete within the head deadline from its first byte (slowloris).
class FeedHttpConnection : public QObject {
    Q_OBJECT
public:
    FeedHttpConnection(QTcpSocket *socket, const HttpRequestLimits &limits, int headDeadlineMs,
                       QObject *parent = nullptr);
    ~FeedHttpConnection() override;

    // The request being answered: complete, or failed (failureStatus() then says how to answer).
    const HttpRequestParser &request() const { return m_parser; }
    int failureStatus() const; // 0, or 400/408/414/431/505
    QString failureMessage() const;

    // Answers the current request, then reads the next one or closes.
    void respond(const FeedHttpResponse &response);
    // Gives the socket up for a WebSocket, with the bytes already read after the request head.
    // The connection is finished afterwards.
    QTcpSocket *takeSocket(QByteArray *pending);

    QString peer() const { return m_peer; }

    // Takes every connection waiting on `server` as a FeedHttpConnection owned by `owner`,
    // which answers each request in `onRequest`; a finished connection deletes itself.
    static void acceptAll(QTcpServer *server, const HttpRequestLimits &limits, int headDeadlineMs,
                          QObject *owner,
                          const std::function<void(FeedHttpConnection *)> &onRequest);

Q_SIGNALS:
    void requestReady(); // request() is complete or failed; answer it with respond()
    void finished();     // the connection is gone; the owner deletes this object

private:
    void readRequest();
    void headDeadlinePassed();
    void finish();

    QPointer<QTcpSocket> m_socket;
    HttpRequestParser m_parser;
    QByteArray m_buffer; // read from the socket, not yet given to the parser
    QTimer m_headDeadline;
    QString m_peer;
    bool m_answering = false;
    bool m_closing = false;
    bool m_timedOut = false;
    bool m_finished = false;
};
