#include "balancer/NginxDriver.h"

#include "balancer/NginxMaster.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QSaveFile>
#include <QTemporaryFile>
#include <QThread>
#include <cerrno>
#include <csignal>
#include <cstring>

namespace {

struct Run {
    bool started = false;
    bool finished = false;
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
    QString startError;
};

// One nginx command, bounded: a stuck nginx (a hostname that does not resolve) is killed.
Run runBounded(const QString &program, const QStringList &args, int timeoutMs)
{
    Run r;
    QProcess p;
    p.start(program, args);
    if (!p.waitForStarted(timeoutMs)) {
        r.startError = p.errorString();
        return r;
    }
    r.started = true;
    r.finished = p.waitForFinished(timeoutMs);
    if (!r.finished) {
        p.kill();
        p.waitForFinished(1000);
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

bool readFile(const QString &path, QByteArray *bytes)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return false;
    *bytes = f.readAll();
    return true;
}

// New bytes land in a temporary file beside the old one and are renamed over it.
QString writeFile(const QString &path, const QByteArray &bytes)
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size() || !f.commit())
        return f.errorString();
    return {};
}

QString seconds(int ms)
{
    return QString::number(ms / 1000.0, 'g', 3) + QStringLiteral(" s");
}

// The files `nginx -T` read, from the "# configuration file PATH:" lines of its dump.
QSet<QString> dumpedFiles(const QByteArray &dump)
{
    QSet<QString> out;
    static const QByteArray tag = "# configuration file ";
    for (const QByteArray &line : dump.split('\n'))
        if (line.startsWith(tag) && line.endsWith(':')) {
            const QString path = QString::fromUtf8(line.mid(tag.size()).chopped(1));
            out.insert(QFileInfo(path).canonicalFilePath());
        }
    return out;
}

} // namespace

NginxDriver::NginxDriver(Options options) : m_options(std::move(options))
{
    m_settings.maxFails = m_options.maxFails;
    m_settings.failTimeoutSeconds = m_options.failTimeoutSeconds;
}

QStringList NginxDriver::nginxArgs(const QStringList &args) const
{
    QStringList out = args;
    if (!m_options.prefix.isEmpty())
        out << QStringLiteral("-p") << m_options.prefix;
    out << QStringLiteral("-c") << m_options.mainConfigPath;
    return out;
}

QString NginxDriver::prepare()
{
    const Run v =
        runBounded(m_options.nginxBinary, {QStringLiteral("-v")}, m_options.commandTimeoutMs);
    if (!v.started)
        return QStringLiteral("could not run %1 (%2): install nginx or give the path of its "
                              "binary")
            .arg(m_options.nginxBinary, v.startError);
    const QString banner =
        QString::fromUtf8(v.err + v.out).trimmed(); // "nginx version: nginx/1.22.1"
    const int slash = banner.indexOf(QLatin1Char('/'));
    if (!v.finished || v.exitCode != 0 || slash < 0)
        return QStringLiteral("%1 -v did not print nginx's version (%2): give the path of the "
                              "nginx binary")
            .arg(m_options.nginxBinary, banner.left(200));
    m_version = banner.mid(slash + 1).section(QLatin1Char(' '), 0, 0);

    QString main = m_options.mainConfigPath;
    if (QFileInfo(main).isRelative() && !m_options.prefix.isEmpty())
        main = QDir(m_options.prefix).filePath(main);
    if (!QFileInfo(main).isReadable())
        return QStringLiteral("nginx's main config %1 cannot be read: give the path of the "
                              "nginx.conf that includes portolan-lb's files")
            .arg(main);
    if (m_options.httpConfigPath.isEmpty() && m_options.streamConfigPath.isEmpty())
        return QStringLiteral("no path for nginx's upstream files: give the http file (e.g. "
                              "/etc/nginx/conf.d/portolan-upstreams.conf), the stream file, or "
                              "both");
    if (m_options.streamConfigPath == m_options.httpConfigPath)
        return QStringLiteral("the http and stream upstream files are both %1: give the stream "
                              "file its own path, outside the http include directory")
            .arg(m_options.httpConfigPath);

    for (const QString &path : {m_options.httpConfigPath, m_options.streamConfigPath}) {
        if (path.isEmpty())
            continue;
        const QString dir = QFileInfo(path).absolutePath();
        // A real probe: access() says yes to root even on a read-only file system.
        QTemporaryFile probe(QDir(dir).filePath(QStringLiteral(".portolan-lb-probe")));
        if (!probe.open())
            return QStringLiteral("portolan-lb cannot write in %1 (%2): make the directory "
                                  "writable for it or choose another path for %3")
                .arg(dir, probe.errorString(), QFileInfo(path).fileName());
        QByteArray existing;
        if (readFile(path, &existing) && !existing.isEmpty() &&
            !existing.startsWith(NginxConfig::header()))
            return QStringLiteral("%1 exists and was not written by portolan-lb: move it away "
                                  "or choose another path (portolan-lb replaces the whole file)")
                .arg(path);
    }
    return {};
}

QList<NginxDriver::File> NginxDriver::render(const BalancerPlan &plan, QString *error) const
{
    QList<File> files;
    const std::pair<QString, PlannedBackend::Mode> wanted[] = {
        {m_options.httpConfigPath, PlannedBackend::Mode::Http},
        {m_options.streamConfigPath, PlannedBackend::Mode::Tcp},
    };
    for (const auto &[path, mode] : wanted) {
        if (path.isEmpty())
            continue;
        File f;
        f.path = path;
        f.mode = mode;
        f.wanted = NginxConfig::render(plan, mode, m_settings, error);
        if (f.wanted.isEmpty())
            return {};
        files.append(f);
    }
    return files;
}

BalancerDriver::Change NginxDriver::classify(const BalancerPlan &plan) const
{
    if (m_master == 0)
        return Change::Reload;
    QString error;
    const QList<File> files = render(plan, &error);
    if (files.size() != m_applied.size())
        return Change::Reload;
    for (int i = 0; i < files.size(); ++i)
        if (files.at(i).wanted != m_applied.at(i))
            return Change::Reload;
    return Change::None;
}

QString NginxDriver::writeAll(QList<File> &files) const
{
    for (File &f : files) {
        f.existed = readFile(f.path, &f.previous);
        if (f.existed && f.previous == f.wanted)
            continue;
        if (const QString e = writeFile(f.path, f.wanted); !e.isEmpty())
            return QStringLiteral("could not write %1 (%2): make its directory writable for "
                                  "portolan-lb; nginx was not reloaded")
                .arg(f.path, e);
        f.written = true;
    }
    return {};
}

// Puts back what was on disk before this apply; an error sentence when that failed.
QString NginxDriver::restoreAll(QList<File> &files) const
{
    QStringList failed;
    for (File &f : files) {
        if (!f.written)
            continue;
        const QString e =
            f.existed ? writeFile(f.path, f.previous)
                      : (QFile::remove(f.path) ? QString() : QStringLiteral("cannot remove"));
        if (!e.isEmpty())
            failed << QStringLiteral("%1 (%2)").arg(f.path, e);
        f.written = false;
    }
    if (failed.isEmpty())
        return {};
    return QStringLiteral("; restoring the previous file failed too for %1, so fix it by hand "
                          "before nginx restarts")
        .arg(failed.join(QStringLiteral(", ")));
}

QString NginxDriver::check(const QList<File> &files, bool *refused) const
{
    *refused = false;
    // -T is -t plus a dump of every file read, which tells whether ours are included at all.
    const Run t = runBounded(m_options.nginxBinary, nginxArgs({QStringLiteral("-T")}),
                             m_options.commandTimeoutMs);
    if (!t.started)
        return QStringLiteral("could not run %1 (%2): install nginx or give the path of its "
                              "binary")
            .arg(m_options.nginxBinary, t.startError);
    if (!t.finished)
        return QStringLiteral("nginx -t did not finish within %1 (does a hostname in the config "
                              "not resolve?)")
            .arg(seconds(m_options.commandTimeoutMs));
    if (t.exitCode != 0) {
        *refused = true;
        QString why = NginxConfig::firstError(t.err);
        if (why.isEmpty())
            why = QStringLiteral("exit code %1").arg(t.exitCode);
        return QStringLiteral("nginx -t refused the new config (%1)").arg(why);
    }
    const QSet<QString> read = dumpedFiles(t.out);
    for (const File &f : files)
        if (!read.contains(QFileInfo(f.path).canonicalFilePath()))
            return QStringLiteral("nginx's config %1 does not include %2: add `include %2;` to "
                                  "its %3 block")
                .arg(m_options.mainConfigPath, f.path,
                     f.mode == PlannedBackend::Mode::Http ? QStringLiteral("http")
                                                          : QStringLiteral("stream"));
    return {};
}

// SIGHUP straight to the master we identified (what `nginx -s reload` does after parsing the
// config once more), then wait until every serving worker is a new one: the master starts new
// workers only after it has read the new config, and it prints nothing when it could not.
QString NginxDriver::reload(qint64 master) const
{
    const QSet<qint64> before = NginxMaster::workers(master);
    if (::kill(static_cast<pid_t>(master), SIGHUP) != 0)
        return QStringLiteral("could not signal the nginx master %1 (%2): run portolan-lb as the "
                              "user nginx runs as")
            .arg(master)
            .arg(QString::fromLocal8Bit(std::strerror(errno)));
    QElapsedTimer waited;
    waited.start();
    while (true) {
        if (!NginxMaster::isMaster(master))
            return QStringLiteral("the nginx master %1 exited during the reload: start nginx "
                                  "again (see its error log)")
                .arg(master);
        const QSet<qint64> now = NginxMaster::workers(master);
        if (!now.isEmpty() && !now.intersects(before))
            return {};
        if (waited.elapsed() > m_options.reloadTimeoutMs)
            return QStringLiteral("the nginx master %1 started no new workers within %2 of the "
                                  "reload signal: see nginx's error log for why")
                .arg(master)
                .arg(seconds(m_options.reloadTimeoutMs));
        QThread::msleep(2);
    }
}

BalancerDriver::Result NginxDriver::apply(const BalancerPlan &plan)
{
    Result r;
    r.method = Change::Reload;
    QList<File> files = render(plan, &r.error);
    if (files.isEmpty()) {
        if (r.error.isEmpty())
            r.error = QStringLiteral("no path for nginx's upstream files: give the http file, "
                                     "the stream file, or both");
        return r;
    }

    QString masterError;
    const qint64 master = NginxMaster::fromPidFile(m_options.pidFile, &masterError);
    QList<QByteArray> wanted;
    bool onDisk = true;
    for (const File &f : files) {
        wanted.append(f.wanted);
        QByteArray bytes;
        onDisk = onDisk && readFile(f.path, &bytes) && bytes == f.wanted;
    }
    if (onDisk && m_master != 0 && master == m_master && wanted == m_applied) {
        r.ok = true;
        r.method = Change::None;
        return r;
    }
    // From here nginx's state is unknown until the reload is verified.
    m_master = 0;

    if (QString e = writeAll(files); !e.isEmpty()) {
        r.error = e + restoreAll(files);
        return r;
    }
    if (QString e = check(files, &r.configRefused); !e.isEmpty()) {
        r.error = e +
                  QStringLiteral(": portolan-lb's upstream files keep their previous bytes "
                                 "and nginx was not reloaded, so it serves its last good "
                                 "config; fix what the error names, portolan-lb tries again") +
                  restoreAll(files);
        return r;
    }
    if (master == 0) {
        // nginx accepted the files: keep them, nginx reads them when it starts.
        r.error = masterError + QStringLiteral(": start nginx, it reads the upstreams "
                                               "portolan-lb wrote and portolan-lb reloads it");
        return r;
    }
    if (QString e = reload(master); !e.isEmpty()) {
        r.error = e +
                  QStringLiteral("; the previous upstream files are back and portolan-lb "
                                 "tries again") +
                  restoreAll(files);
        return r;
    }
    m_master = master;
    m_applied = wanted;
    r.ok = true;
    r.reloaded = true;
    return r;
}

bool NginxDriver::verify(QString *error)
{
    QString e;
    if (m_master == 0) {
        e = QStringLiteral("nginx does not hold portolan-lb's upstreams yet: portolan-lb applies "
                           "them");
    } else if (const qint64 master = NginxMaster::fromPidFile(m_options.pidFile, &e); !master) {
        e += QStringLiteral(": portolan-lb applies its upstreams again once nginx is back");
    } else if (master != m_master) {
        e = QStringLiteral("nginx was restarted (master %1, was %2): portolan-lb applies its "
                           "upstreams again")
                .arg(master)
                .arg(m_master);
    } else {
        const QStringList paths = {m_options.httpConfigPath, m_options.streamConfigPath};
        int i = 0;
        for (const QString &path : paths) {
            if (path.isEmpty())
                continue;
            QByteArray bytes;
            if (!readFile(path, &bytes) || bytes != m_applied.value(i)) {
                e = QStringLiteral("%1 no longer holds what portolan-lb wrote (changed or removed "
                                   "by someone else): portolan-lb writes it again and reloads")
                        .arg(path);
                break;
            }
            ++i;
        }
    }
    if (e.isEmpty())
        return true;
    m_master = 0; // the next apply writes and reloads even if the bytes match again
    if (error)
        *error = e;
    return false;
}
