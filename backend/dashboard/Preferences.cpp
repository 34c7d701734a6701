#include "dashboard/Preferences.h"

#include <QSettings>

namespace {
const QString kThemeKey = QStringLiteral("appearance/theme");

QSettings settings()
{
    return QSettings(QStringLiteral("Portolan"), QStringLiteral("dashboard"));
}
} // namespace

bool Preferences::isThemeMode(const QString &mode)
{
    return mode == QLatin1String("light") || mode == QLatin1String("dark") ||
           mode == QLatin1String("system");
}

QString Preferences::themeMode() const
{
    const QString saved = settings().value(kThemeKey).toString();
    return isThemeMode(saved) ? saved : QStringLiteral("system");
}

void Preferences::setThemeMode(const QString &mode)
{
    if (!isThemeMode(mode)) {
        qWarning("not saving the theme \"%s\": use light, dark or system", qPrintable(mode));
        return;
    }
    if (mode == themeMode())
        return;
    QSettings s = settings();
    s.setValue(kThemeKey, mode);
    s.sync();
    Q_EMIT themeModeChanged();
}

QString Preferences::startupTheme(const QString &commandLine) const
{
    if (isThemeMode(commandLine))
        return commandLine;
    if (!commandLine.isEmpty())
        qWarning("unknown --theme \"%s\" (use light, dark or system); using the saved theme",
                 qPrintable(commandLine));
    return themeMode();
}
