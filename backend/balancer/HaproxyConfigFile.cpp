#include "balancer/HaproxyConfigFile.h"

#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unistd.h>

HaproxyConfigFile::HaproxyConfigFile(const QString &path, const QString &mainPath,
                                     const QString &binary, int checkTimeoutMs)
    : m_path(path), m_mainPath(mainPath), m_binary(binary), m_checkTimeoutMs(checkTimeoutMs)
{
}

QString HaproxyConfigFile::load()
{
    QFile f(m_path);
    m_exists = f.exists();
    m_text.clear();
    if (!m_exists)
        return {};
    if (!f.open(QIODevice::ReadOnly))
        return QStringLiteral("cannot read %1 (%2); give portolan-lb read and write access to it")
            .arg(m_path, f.errorString());
    m_text = QString::fromUtf8(f.readAll());
    return {};
}

bool HaproxyConfigFile::changedOnDisk() const
{
    QFile f(m_path);
    if (!f.exists())
        return m_exists;
    if (!f.open(QIODevice::ReadOnly))
        return true;
    return !m_exists || QString::fromUtf8(f.readAll()) != m_text;
}

QString HaproxyConfigFile::writeFile(const QString &file, const QString &text) const
{
    QFile f(file);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return QStringLiteral("cannot write %1 (%2); give portolan-lb write access to %3's "
                              "directory")
            .arg(file, f.errorString(), m_path);
    const QByteArray data = text.toUtf8();
    // fsync before the rename, so a crash leaves the old file or the new one, never a torn one.
    if (f.write(data) != data.size() || !f.flush() || ::fsync(f.handle()) != 0) {
        const QString why = f.errorString();
        f.close();
        f.remove();
        return QStringLiteral("cannot write %1 (%2); is the disk full?").arg(file, why);
    }
    f.close();
    return {};
}

QString HaproxyConfigFile::check(const QString &file, bool *refused) const
{
    *refused = false;
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(m_binary,
            {QStringLiteral("-c"), QStringLiteral("-f"), m_mainPath, QStringLiteral("-f"), file});
    if (!p.waitForStarted(m_checkTimeoutMs))
        return QStringLiteral("cannot run `%1 -c` (%2); install haproxy or set the path to its "
                              "binary")
            .arg(m_binary, p.errorString());
    if (!p.waitForFinished(m_checkTimeoutMs)) {
        p.kill();
        p.waitForFinished(1000);
        return QStringLiteral("`%1 -c` did not finish within %2 s; the file was not replaced")
            .arg(m_binary)
            .arg(m_checkTimeoutMs / 1000);
    }
    if (p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0)
        return {};
    *refused = true;
    const QString out = QString::fromUtf8(p.readAll());
    static const QRegularExpression prefix(
        QStringLiteral("^\\[ALERT\\]\\s*\\(\\d+\\)\\s*:\\s*(config\\s*:\\s*)?"));
    // The first alert; else the last line that is not a notice or a warning.
    QString first;
    for (const QString &line : out.split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
        if (line.startsWith(QLatin1String("[ALERT]"))) {
            first = line;
            first.remove(prefix);
            break;
        }
        if (!line.startsWith(QLatin1String("[NOTICE]")) &&
            !line.startsWith(QLatin1String("[WARNING]")))
            first = line.trimmed();
    }
    if (first.isEmpty())
        first = QStringLiteral("exit code %1").arg(p.exitCode());
    return first;
}

QString HaproxyConfigFile::stage(const QString &text, bool *refused)
{
    *refused = false;
    m_staged = m_path + QStringLiteral(".new"); // not *.cfg: a `-f DIR` does not load it
    if (QString error = writeFile(m_staged, text); !error.isEmpty())
        return error;
    const QString alert = check(m_staged, refused);
    if (!alert.isEmpty()) {
        QFile::remove(m_staged);
        if (!*refused)
            return alert;
        return QStringLiteral("haproxy -c refused the new %1 (%2); the previous file stays and "
                              "haproxy keeps its running configuration: fix %3 or the service "
                              "the error names")
            .arg(m_path, alert, m_mainPath);
    }
    m_stagedText = text;
    return {};
}

QString HaproxyConfigFile::commit()
{
    if (std::rename(QFile::encodeName(m_staged).constData(),
                    QFile::encodeName(m_path).constData()) != 0) {
        const QString why = QString::fromLocal8Bit(strerror(errno));
        QFile::remove(m_staged);
        return QStringLiteral("cannot rename %1 to %2 (%3); give portolan-lb write access to "
                              "the directory")
            .arg(m_staged, m_path, why);
    }
    m_exists = true;
    m_text = m_stagedText;
    return {};
}

QString HaproxyConfigFile::restore(const QString &text, bool existed)
{
    if (!existed) {
        m_text.clear();
        m_exists = false;
        QFile::remove(m_path);
        return {};
    }
    m_staged = m_path + QStringLiteral(".new");
    m_stagedText = text;
    if (QString error = writeFile(m_staged, text); !error.isEmpty())
        return error;
    return commit();
}
