#pragma once

#include "http/HttpResponseParser.h"

#include <QByteArray>
#include <QObject>
#include <QString>
#include <QUrl>
#include <utility>

class QSslConfiguration;
class QTcpSocket;

// One HTTP/1.1 connection to one etcd endpoint, in the event loop: plain TCP, or TLS when the
// endpoint is https (hostname verification against the endpoint's host). It carries one
// request at a time and stays open between them (keep-alive); the strict parser of
// backend/http reads every answer. Failover, timeouts and auth stay with EtcdClient; turning an
// outcome into a sentence stays with EtcdReply.
class EtcdConnection : public QObject {
    Q_OBJECT
public:
    // How an exchange failed; see failureText() for the detail.
    enum class Failure {
        None,
        Refused,      // nothing listens there
        HostNotFound, // DNS
        Closed,       // the peer closed before a complete answer
        Tls,          // handshake, verification or a TLS alert (e.g. certificate required)
        TooLarge,     // the body would pass the cap: refused before reading more
        BadResponse,  // not HTTP/1.1 as the strict parser wants it
        Socket,       // anything else the socket reports
    };

    // tls: the configuration for https endpoints (CA, client certificate and key); may be null
    // for plain http. Not copied: it must outlive the connection.
    EtcdConnection(const QString &endpoint, const QSslConfiguration *tls,
                   QObject *parent = nullptr);
    ~EtcdConnection() override;

    // Sends one serialized request (keep-alive). The answer's body is gathered up to
    // maxBodyBytes (<= 0: no cap) and never read beyond it. streaming: a 2xx body leaves
    // through bodyData() as it arrives instead, with no total cap (each line is the owner's to
    // bound); a non-2xx body is still gathered (up to 64 KiB) for its error message.
    void send(const QByteArray &request, qint64 maxBodyBytes, bool streaming = false);
    // Closes the socket; no finished() follows.
    void abort();

    // A finished exchange left the connection open for the next request.
    bool isIdle() const { return m_idle; }
    QString endpoint() const { return m_endpoint; }
    // About the last exchange, valid once finished() was emitted.
    Failure failure() const { return m_failure; }
    QString failureText() const { return m_failureText; }
    int statusCode() const { return m_parser.statusCode(); }
    QByteArray takeBody() { return std::exchange(m_body, QByteArray()); }

Q_SIGNALS:
    void bodyData(const QByteArray &bytes); // streaming 2xx bodies only
    // The exchange ended: a complete answer (failure() == None, whatever its status) or a
    // failure. Never emitted from inside send().
    void finished();
    // The connection was idle and the peer closed it (or sent bytes nobody asked for): it can
    // carry no more requests.
    void lost();

private:
    void connectSocket();
    void onConnected();
    void onReadyRead();
    void onPeerClosed();
    void onSocketError();
    void gather(QByteArrayView bytes); // into m_body, its capacity bounded by the cap
    // A reused connection that died before any answer: send again on a fresh one, once.
    bool retryOnFreshConnection();
    void fail(Failure failure, const QString &text);
    void complete();
    void closeSocket();

    QString m_endpoint;
    QUrl m_url;
    bool m_tls = false;
    const QSslConfiguration *m_tlsConfig;
    QTcpSocket *m_socket = nullptr;
    HttpResponseParser m_parser;
    QByteArray m_request;
    QByteArray m_body;
    qint64 m_maxBodyBytes = 0;
    QString m_sslErrors;
    Failure m_failure = Failure::None;
    QString m_failureText;
    bool m_streaming = false;
    bool m_busy = false;   // an exchange is under way
    bool m_idle = false;   // connected and free for the next request
    bool m_inSend = false; // finished() must wait for the event loop
    bool m_reused = false; // the request went out on a connection that carried one before
    bool m_sawBytes = false;
    bool m_lowDelay = false; // TCP_NODELAY is set once per connection
};
