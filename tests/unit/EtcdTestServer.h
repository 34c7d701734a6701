#pragma once

// A private, real etcd for one test: /usr/bin/etcd on 127.0.0.1, free ports, data in a temporary
// directory. stop() and start() again keep the data dir and ports, so a test can simulate an etcd
// restart. Header-only so any test can include it.
//
//     EtcdTestServer etcd;
//     QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
//     ... etcd.endpoint() == "http://127.0.0.1:<port>" ...

#include <QDeadlineTimer>
#include <QProcess>
#include <QSslSocket>
#include <QStandardPaths>
#include <QStringList>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QThread>
#include <memory>

class EtcdTestServer {
public:
    struct Options {
        bool enableV2 = false;
        QStringList extraArgs; // e.g. {"--auth-token-ttl", "1"}
        // TLS: with certFile/keyFile the client URL is https; with clientCaFile etcd also
        // requires a client certificate signed by that CA.
        QString certFile, keyFile, clientCaFile;

        static Options v2()
        {
            Options o;
            o.enableV2 = true;
            return o;
        }
        static Options withArgs(const QStringList &args)
        {
            Options o;
            o.extraArgs = args;
            return o;
        }
    };

    EtcdTestServer() : EtcdTestServer(Options()) {}
    explicit EtcdTestServer(const Options &options)
        : m_options(options), m_clientPort(freePort()), m_peerPort(freePort())
    {
        while (m_peerPort == m_clientPort)
            m_peerPort = freePort();
    }
    ~EtcdTestServer() { stop(); }
    EtcdTestServer(const EtcdTestServer &) = delete;
    EtcdTestServer &operator=(const EtcdTestServer &) = delete;

    // Starts etcd and waits (up to timeoutMs) until it serves /health. False with lastError().
    bool start(int timeoutMs = 15000)
    {
        if (isRunning())
            return true;
        if (!m_dir.isValid()) {
            m_error = QStringLiteral("cannot create a temporary directory");
            return false;
        }
        const QString etcd = QStandardPaths::findExecutable(QStringLiteral("etcd"));
        if (etcd.isEmpty()) {
            m_error = QStringLiteral("etcd is not installed (apt-get install etcd-server)");
            return false;
        }
        const QString client = endpoint();
        const QString peer = QStringLiteral("http://127.0.0.1:%1").arg(m_peerPort);
        QStringList args{
            QStringLiteral("--name"), QStringLiteral("t"), QStringLiteral("--data-dir"),
            m_dir.filePath(QStringLiteral("data")), QStringLiteral("--listen-client-urls"), client,
            QStringLiteral("--advertise-client-urls"), client, QStringLiteral("--listen-peer-urls"),
            peer, QStringLiteral("--initial-advertise-peer-urls"), peer,
            QStringLiteral("--initial-cluster"), QStringLiteral("t=") + peer,
            // Fast single-member election, so start() returns quickly.
            QStringLiteral("--heartbeat-interval"), QStringLiteral("50"),
            QStringLiteral("--election-timeout"), QStringLiteral("500")};
        if (m_options.enableV2)
            args << QStringLiteral("--enable-v2");
        if (isTls())
            args << QStringLiteral("--cert-file") << m_options.certFile
                 << QStringLiteral("--key-file") << m_options.keyFile;
        if (!m_options.clientCaFile.isEmpty())
            args << QStringLiteral("--client-cert-auth") << QStringLiteral("--trusted-ca-file")
                 << m_options.clientCaFile;
        args << m_options.extraArgs;
        m_process = std::make_unique<QProcess>();
        m_process->setProcessChannelMode(QProcess::MergedChannels);
        m_process->setStandardOutputFile(logPath(), QIODevice::Append);
        m_process->start(etcd, args);
        if (!m_process->waitForStarted(5000)) {
            m_error = QStringLiteral("etcd did not start: ") + m_process->errorString();
            return false;
        }
        const QDeadlineTimer deadline(timeoutMs);
        while (!deadline.hasExpired()) {
            if (m_process->state() != QProcess::Running) {
                m_error = QStringLiteral("etcd exited during start-up; see ") + logPath();
                return false;
            }
            if (get(QByteArrayLiteral("/health")).contains("\"health\":\"true\""))
                return true;
            QThread::msleep(50);
        }
        m_error = QStringLiteral("etcd did not become healthy within %1 ms; see %2")
                      .arg(timeoutMs)
                      .arg(logPath());
        return false;
    }

    // SIGTERM and wait; falls back to SIGKILL. Keeps the data dir for a later start().
    void stop()
    {
        if (!m_process)
            return;
        if (m_process->state() != QProcess::NotRunning) {
            m_process->terminate();
            if (!m_process->waitForFinished(5000)) {
                m_process->kill();
                m_process->waitForFinished(5000);
            }
        }
        m_process.reset();
    }

    // SIGKILL, as a crash would.
    void kill()
    {
        if (!m_process)
            return;
        m_process->kill();
        m_process->waitForFinished(5000);
        m_process.reset();
    }

    bool isRunning() const { return m_process && m_process->state() == QProcess::Running; }
    bool isTls() const { return !m_options.certFile.isEmpty(); }
    QString endpoint() const
    {
        return QStringLiteral("%1://127.0.0.1:%2")
            .arg(isTls() ? QStringLiteral("https") : QStringLiteral("http"))
            .arg(m_clientPort);
    }
    quint16 clientPort() const { return m_clientPort; }
    QString dataDir() const { return m_dir.filePath(QStringLiteral("data")); }
    QString logPath() const { return m_dir.filePath(QStringLiteral("etcd.log")); }
    QString lastError() const { return m_error; }

    // Runs etcdctl (v3 API) against this server. Returns its exit code; output in *out.
    int etcdctl(const QStringList &args, QString *out = nullptr,
                const QByteArray &stdinData = QByteArray()) const
    {
        QStringList tls;
        if (isTls())
            tls << QStringLiteral("--insecure-skip-tls-verify");
        if (!m_options.clientCaFile.isEmpty())
            tls << QStringLiteral("--cert=") + m_options.certFile
                << QStringLiteral("--key=") + m_options.keyFile;
        QProcess p;
        p.setProcessChannelMode(QProcess::MergedChannels);
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("ETCDCTL_API"), QStringLiteral("3"));
        p.setProcessEnvironment(env);
        p.start(QStringLiteral("etcdctl"),
                QStringList{QStringLiteral("--endpoints=") + endpoint()} + tls + args);
        if (!p.waitForStarted(5000))
            return -1;
        if (!stdinData.isEmpty())
            p.write(stdinData);
        p.closeWriteChannel();
        p.waitForFinished(15000);
        if (out)
            *out = QString::fromUtf8(p.readAll());
        return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    }

    // A TCP port that was free a moment ago on 127.0.0.1.
    static quint16 freePort()
    {
        QTcpServer s;
        s.listen(QHostAddress::LocalHost, 0);
        return s.serverPort();
    }

private:
    QByteArray get(const QByteArray &path) const
    {
        QSslSocket s;
        if (isTls()) {
            // Readiness only: whether the certificate verifies is what the tests check.
            s.setPeerVerifyMode(QSslSocket::VerifyNone);
            if (!m_options.clientCaFile.isEmpty()) {
                s.setLocalCertificate(m_options.certFile);
                s.setPrivateKey(m_options.keyFile, QSsl::Ec);
            }
            s.connectToHostEncrypted(QStringLiteral("127.0.0.1"), m_clientPort);
            if (!s.waitForEncrypted(1000))
                return {};
        } else {
            s.connectToHost(QHostAddress::LocalHost, m_clientPort);
            if (!s.waitForConnected(300))
                return {};
        }
        s.write("GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
        QByteArray data;
        while (s.waitForReadyRead(1000))
            data += s.readAll();
        data += s.readAll();
        const int body = data.indexOf("\r\n\r\n");
        return data.startsWith("HTTP/1.") && data.contains(" 200 ") && body >= 0
                   ? data.mid(body + 4)
                   : QByteArray();
    }

    Options m_options;
    QTemporaryDir m_dir;
    quint16 m_clientPort;
    quint16 m_peerPort;
    std::unique_ptr<QProcess> m_process;
    QString m_error;
};
