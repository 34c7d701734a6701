#include "PrivateNginx.h"

#include "balancer/NginxMaster.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <csignal>
#include <unistd.h>

namespace {

bool writeText(const QString &path, const QByteArray &text)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(text) == text.size();
}

// Polls `ready` every 10 ms for up to `ms`.
template <typename F> bool waitFor(F ready, int ms)
{
    QElapsedTimer t;
    t.start();
    while (!ready()) {
        if (t.elapsed() > ms)
            return false;
        QThread::msleep(10);
    }
    return true;
}

} // namespace

int freeLoopbackPort()
{
    QTcpServer s;
    s.listen(QHostAddress::LocalHost, 0);
    return s.serverPort();
}

QByteArray httpGet(int port, int timeoutMs, int *status)
{
    if (status)
        *status = 0;
    QTcpSocket s;
    s.connectToHost(QHostAddress::LocalHost, quint16(port));
    if (!s.waitForConnected(timeoutMs))
        return {};
    s.write("GET / HTTP/1.0\r\nHost: test\r\n\r\n");
    QByteArray reply;
    QElapsedTimer t;
    t.start();
    while (s.state() == QAbstractSocket::ConnectedState && t.elapsed() < timeoutMs) {
        s.waitForReadyRead(int(timeoutMs - t.elapsed()));
        reply += s.readAll();
    }
    reply += s.readAll();
    const int blank = reply.indexOf("\r\n\r\n");
    if (!reply.startsWith("HTTP/") || blank < 0)
        return {};
    if (status)
        *status = reply.mid(9, 3).toInt();
    return reply.mid(blank + 4);
}

PrivateNginx::PrivateNginx(const QString &dir) : m_dir(dir)
{
    m_httpPort = freeLoopbackPort();
    m_streamPort = freeLoopbackPort();
    QByteArray conf;
    // Debian builds the stream module as a dynamic module (libnginx-mod-stream).
    const QString streamModule = QStringLiteral("/usr/lib/nginx/modules/ngx_stream_module.so");
    if (QFile::exists(streamModule))
        conf += "load_module " + streamModule.toUtf8() + ";\n";
    if (::geteuid() == 0)
        conf += "user root;\n"; // the workers read the temp paths under a root-only test dir
    conf += QStringLiteral("daemon on;\n"
                           "master_process on;\n"
                           "worker_processes 1;\n"
                           "pid %1/nginx.pid;\n"
                           "error_log %1/error.log notice;\n"
                           "events { worker_connections 1024; }\n"
                           "http {\n"
                           "    access_log off;\n"
                           "    client_body_temp_path %1/client_body_temp;\n"
                           "    proxy_temp_path %1/proxy_temp;\n"
                           "    fastcgi_temp_path %1/fastcgi_temp;\n"
                           "    uwsgi_temp_path %1/uwsgi_temp;\n"
                           "    scgi_temp_path %1/scgi_temp;\n"
                           "    include %1/portolan-http.conf;\n"
                           "    server {\n"
                           "        listen 127.0.0.1:%2;\n"
                           "        location / {\n"
                           "            proxy_pass http://portolan_web;\n"
                           "            # a server that vanished or refuses: the next one answers\n"
                           "            proxy_next_upstream error timeout http_502 http_503;\n"
                           "            proxy_connect_timeout 1s;\n"
                           "        }\n"
                           "    }\n"
                           "}\n"
                           "stream {\n"
                           "    include %1/portolan-stream.conf;\n"
                           "    server {\n"
                           "        listen 127.0.0.1:%3;\n"
                           "        proxy_pass portolan_redis;\n"
                           "        proxy_connect_timeout 1s;\n"
                           "    }\n"
                           "}\n")
                .arg(m_dir)
                .arg(m_httpPort)
                .arg(m_streamPort)
                .toUtf8();
    writeText(mainConfig(), conf);
}

PrivateNginx::~PrivateNginx()
{
    stop();
}

QString PrivateNginx::mainConfig() const
{
    return m_dir + QStringLiteral("/nginx.conf");
}

QString PrivateNginx::errorLog() const
{
    return m_dir + QStringLiteral("/error.log");
}

NginxDriver::Options PrivateNginx::options() const
{
    NginxDriver::Options o;
    o.httpConfigPath = m_dir + QStringLiteral("/portolan-http.conf");
    o.streamConfigPath = m_dir + QStringLiteral("/portolan-stream.conf");
    o.mainConfigPath = mainConfig();
    o.prefix = m_dir;
    o.pidFile = m_dir + QStringLiteral("/nginx.pid");
    return o;
}

qint64 PrivateNginx::master() const
{
    return NginxMaster::fromPidFile(m_dir + QStringLiteral("/nginx.pid"), nullptr);
}

QList<qint64> PrivateNginx::workers() const
{
    const QSet<qint64> w = NginxMaster::workers(master());
    QList<qint64> out(w.begin(), w.end());
    std::sort(out.begin(), out.end());
    return out;
}

QString PrivateNginx::start()
{
    QProcess p;
    p.start(QStringLiteral("nginx"),
            {QStringLiteral("-p"), m_dir, QStringLiteral("-c"), mainConfig()});
    if (!p.waitForFinished(10000) || p.exitCode() != 0)
        return QStringLiteral("nginx did not start: %1")
            .arg(QString::fromUtf8(p.readAllStandardError()).trimmed());
    if (!waitFor([this] { return master() != 0 && !workers().isEmpty(); }, 10000))
        return QStringLiteral("nginx started no master with workers within 10 s");
    return {};
}

void PrivateNginx::stop()
{
    const qint64 pid = master();
    if (pid == 0)
        return;
    ::kill(pid_t(pid), SIGQUIT);
    if (!waitFor([pid] { return !NginxMaster::isMaster(pid); }, 10000))
        ::kill(pid_t(pid), SIGKILL);
    waitFor([pid] { return !NginxMaster::isMaster(pid); }, 2000);
}

IdentityBackend::IdentityBackend(const QString &dir, const QString &name)
    : m_dir(dir + QLatin1Char('/') + name), m_name(name)
{
}

IdentityBackend::~IdentityBackend()
{
    if (m_process) {
        m_process->kill();
        m_process->waitForFinished(2000);
    }
}

QString IdentityBackend::start()
{
    QDir().mkpath(m_dir);
    writeText(m_dir + QStringLiteral("/index.html"), m_name.toUtf8() + '\n');
    m_port = freeLoopbackPort();
    m_process = std::make_unique<QProcess>();
    m_process->start(QStringLiteral("busybox"),
                     {QStringLiteral("httpd"), QStringLiteral("-f"), QStringLiteral("-p"),
                      QStringLiteral("127.0.0.1:%1").arg(m_port), QStringLiteral("-h"), m_dir});
    if (!m_process->waitForStarted(5000))
        return QStringLiteral("busybox httpd did not start: %1").arg(m_process->errorString());
    if (!waitFor([this] { return httpGet(m_port, 500) == m_name.toUtf8() + '\n'; }, 5000))
        return QStringLiteral("busybox httpd %1 did not answer on port %2").arg(m_name).arg(m_port);
    return {};
}
