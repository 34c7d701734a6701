pragma Singleton
import QtQuick

// Colours for light and dark; "system" follows the desktop palette (Qt 6.4 has no colorScheme).
QtObject {
    id: theme
    property string mode: "system" // "light", "dark" or "system"
    readonly property SystemPalette system: SystemPalette { colorGroup: SystemPalette.Active }
    readonly property bool dark: mode === "dark"
                                 || (mode === "system" && system.window.hslLightness < 0.5)

    readonly property color background: dark ? "#16191d" : "#f4f5f7"
    readonly property color surface: dark ? "#21252b" : "#ffffff"
    readonly property color surfaceAlt: dark ? "#2a2f36" : "#eef0f3"
    readonly property color border: dark ? "#3a4049" : "#d5d9df"
    readonly property color text: dark ? "#e6e8eb" : "#1d2126"
    readonly property color subtext: dark ? "#9aa3ad" : "#5c6570"
    readonly property color accent: dark ? "#5aa9ff" : "#1f6fd1"
    readonly property color good: dark ? "#4cc38a" : "#1f8a53"
    readonly property color bad: dark ? "#ff6b6b" : "#c62828"
    readonly property color warn: dark ? "#f0b541" : "#a86500"
    readonly property color selection: dark ? "#2c4a6e" : "#d6e6fb"

    readonly property int spacing: 8
    readonly property int radius: 6
    readonly property string monoFont: "DejaVu Sans Mono"

    function actionColor(action) {
        switch (action) {
        case "added": case "host-up": return good
        case "removed": case "host-gone": return bad
        case "changed": return warn
        }
        return subtext
    }
}
