#pragma once

// Setup shared by the Docker client tests (tst_dockerclient_transport, _requests and
// tst_dockereventstream): FakeDockerDaemon (faults a real dockerd cannot be made to produce on
// demand), the replies it is scripted with, and the real dockerd the integration harness names
// in PORTOLAN_TEST_DOCKER_SOCK. Header-only.

#include "docker/DockerClient.h"

#include <QFile>
#include <QLocalServer>
#include <QLocalSocket>
#include <QPointer>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslSocket>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTimer>
#include <memory>

inline QByteArray fixture(const char *name)
{
    QFile f(QStringLiteral(PORTOLAN_TEST_DATA "/docker/") + QLatin1String(name));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", name);
    return f.readAll();
}

inline QByteArray response(int status, const QByteArray &reason, const QByteArray &body,
                           const QByteArray &extraHeaders = "Api-Version: 1.41\r\n")
{
    return "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason + "\r\n" + extraHeaders +
           "Content-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) +
           "\r\n\r\n" + body;
}

inline QByteArray chunk(const QByteArray &data)
{
    return QByteArray::number(data.size(), 16) + "\r\n" + data + "\r\n";
}

inline const QByteArray StreamHeaders = "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: "
                                        "application/json\r\nTransfer-Encoding: chunked\r\n\r\n";

// Accepts TLS connections with the test server certificate and requires a client certificate
// signed by the test CA, as dockerd --tlsverify does.
class FakeTlsServer : public QTcpServer {
protected:
    void incomingConnection(qintptr descriptor) override
    {
        auto *socket = new QSslSocket(this);
        if (!socket->setSocketDescriptor(descriptor)) {
            delete socket;
            return;
        }
        const QString dir = QStringLiteral(PORTOLAN_TEST_DATA "/docker/tls/");
        QSslConfiguration config = QSslConfiguration::defaultConfiguration();
        config.setCaCertificates(QSslCertificate::fromPath(dir + QLatin1String("ca.pem")));
        config.setLocalCertificate(
            QSslCertificate::fromPath(dir + QLatin1String("server-cert.pem")).value(0));
        QFile key(dir + QLatin1String("server-key.pem"));
        key.open(QIODevice::ReadOnly);
        config.setPrivateKey(QSslKey(key.readAll(), QSsl::Rsa));
        config.setPeerVerifyMode(QSslSocket::VerifyPeer);
        socket->setSslConfiguration(config);
        addPendingConnection(socket);
        socket->startServerEncryption();
    }
};

// A stand-in for dockerd on a unix socket, plain TCP or TLS on 127.0.0.1. Each connection gets
// the next scripted reply (the last one repeats): its pieces are written with a pause between
// them, then the connection is closed unless the reply says to keep it open. A reply with no
// pieces never answers.
class FakeDockerDaemon : public QObject {
public:
    enum class Transport { Unix, Tcp, Tls };
    struct Reply {
        QList<QByteArray> pieces;
        int gapMs = 0;
        bool keepOpen = false;
    };

    explicit FakeDockerDaemon(Transport transport = Transport::Unix) : m_transport(transport)
    {
        if (transport == Transport::Unix) {
            m_path = m_dir.filePath(QStringLiteral("docker.sock"));
            QObject::connect(&m_local, &QLocalServer::newConnection, this, [this] {
                while (QLocalSocket *s = m_local.nextPendingConnection())
                    accept(s);
            });
            if (!m_local.listen(m_path))
                qFatal("FakeDockerDaemon cannot listen on %s", qPrintable(m_path));
            return;
        }
        QTcpServer *server = transport == Transport::Tls ? &m_tls : &m_tcp;
        QObject::connect(server, &QTcpServer::pendingConnectionAvailable, this, [this, server] {
            while (QTcpSocket *s = server->nextPendingConnection())
                accept(s);
        });
        if (!server->listen(QHostAddress::LocalHost))
            qFatal("FakeDockerDaemon cannot listen on 127.0.0.1");
        m_port = server->serverPort();
    }

    DockerEndpoint endpoint() const
    {
        DockerEndpoint e;
        if (m_transport == Transport::Unix) {
            e.socketPath = m_path;
            return e;
        }
        e.kind = DockerEndpoint::Kind::Tcp;
        e.host = QStringLiteral("127.0.0.1");
        e.port = m_port;
        if (m_transport == Transport::Tls) {
            e.tls = e.tlsVerify = true;
            e.certPath = QStringLiteral(PORTOLAN_TEST_DATA "/docker/tls");
        }
        return e;
    }
    void script(const QList<Reply> &replies) { m_replies = replies; }
    // Closes every connection from this side (as a restarted daemon would).
    void closeAll()
    {
        for (const QPointer<QIODevice> &socket : std::as_const(m_sockets)) {
            if (auto *local = qobject_cast<QLocalSocket *>(socket.data()))
                local->disconnectFromServer();
        }
    }
    QList<QByteArray> requests; // request heads as received
    int connections = 0;

private:
    void accept(QIODevice *socket)
    {
        ++connections;
        m_sockets.append(socket);
        auto buffer = std::make_shared<QByteArray>();
        if (auto *local = qobject_cast<QLocalSocket *>(socket))
            QObject::connect(local, &QLocalSocket::disconnected, local, &QObject::deleteLater);
        else if (auto *tcp = qobject_cast<QTcpSocket *>(socket))
            QObject::connect(tcp, &QTcpSocket::disconnected, tcp, &QObject::deleteLater);
        QObject::connect(socket, &QIODevice::readyRead, this, [this, socket, buffer] {
            buffer->append(socket->readAll());
            if (!buffer->contains("\r\n\r\n") || buffer->isNull())
                return;
            requests.append(buffer->left(buffer->indexOf("\r\n\r\n")));
            *buffer = QByteArray(); // answer once
            const Reply reply = m_replies.isEmpty()         ? Reply{}
                                : m_next < m_replies.size() ? m_replies.at(m_next++)
                                                            : m_replies.last();
            send(socket, reply, 0);
        });
    }

    void send(QPointer<QIODevice> socket, const Reply &reply, int index)
    {
        if (!socket)
            return;
        if (index >= reply.pieces.size()) {
            if (!reply.keepOpen && !reply.pieces.isEmpty()) {
                if (auto *local = qobject_cast<QLocalSocket *>(socket.data()))
                    local->disconnectFromServer();
                else if (auto *tcp = qobject_cast<QTcpSocket *>(socket.data()))
                    tcp->disconnectFromHost();
            }
            return;
        }
        socket->write(reply.pieces.at(index));
        QTimer::singleShot(reply.gapMs, this,
                           [this, socket, reply, index] { send(socket, reply, index + 1); });
    }

    Transport m_transport;
    QTemporaryDir m_dir;
    QString m_path;
    quint16 m_port = 0;
    QLocalServer m_local;
    QTcpServer m_tcp;
    FakeTlsServer m_tls;
    QList<Reply> m_replies;
    QList<QPointer<QIODevice>> m_sockets;
    int m_next = 0;
};

// The real dockerd of PORTOLAN_TEST_DOCKER_SOCK (empty when unset).
inline DockerEndpoint realEndpoint()
{
    DockerEndpoint e;
    e.socketPath = qEnvironmentVariable("PORTOLAN_TEST_DOCKER_SOCK");
    return e;
}
