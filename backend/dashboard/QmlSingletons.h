#pragma once

// Header only, for the programs that load QML (the dashboard, its QML tests and e2e driver): the
// backend itself stays free of QtQml.
#include "dashboard/Preferences.h"
#include "dashboard/WallClock.h"

#include <QQmlEngine>

// Singletons in "Portolan.Models" 1.0, one instance per engine: Preferences (what the theme box
// saves) and WallClock (the clock every "… ago" reads). Call before any QML is loaded.
inline void registerDashboardSingletons()
{
    static bool done = false;
    if (done)
        return;
    done = true;
    qmlRegisterSingletonType<Preferences>(
        "Portolan.Models", 1, 0, "Preferences",
        [](QQmlEngine *, QJSEngine *) -> QObject * { return new Preferences; });
    qmlRegisterSingletonType<WallClock>(
        "Portolan.Models", 1, 0, "WallClock",
        [](QQmlEngine *, QJSEngine *) -> QObject * { return new WallClock; });
}
