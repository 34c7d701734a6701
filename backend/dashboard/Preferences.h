#pragma once

#include <QObject>
#include <QString>

// What the dashboard remembers between runs besides connection profiles: the theme (light, dark
// or system). Stored with QSettings("Portolan", "dashboard"), as the profiles are.
class Preferences : public QObject {
    Q_OBJECT
    Q_PROPERTY(QString themeMode READ themeMode WRITE setThemeMode NOTIFY themeModeChanged)
public:
    using QObject::QObject;

    static bool isThemeMode(const QString &mode); // "light", "dark" or "system"

    QString themeMode() const;              // the saved choice; "system" when none was saved
    void setThemeMode(const QString &mode); // saves it; an unknown mode is ignored with a warning

    // The theme for this run: `commandLine` (--theme) when it names a theme, else the saved one.
    Q_INVOKABLE QString startupTheme(const QString &commandLine) const;

Q_SIGNALS:
    void themeModeChanged();
};
