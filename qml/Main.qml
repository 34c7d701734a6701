pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Portolan.Dashboard
import Portolan.Models

ApplicationWindow {
    id: window
    required property ClusterConnection connection
    property string startView: ""
    property string themeMode: ""
    property alias currentView: stack.currentIndex
    width: 1280
    height: 800
    visible: true
    title: qsTr("Portolan — %1").arg(connection.description)
    color: Theme.background
    // The Basic style draws controls from the palette: follow the theme there too.
    palette.window: Theme.background
    palette.windowText: Theme.text
    palette.base: Theme.surface
    palette.text: Theme.text
    palette.button: Theme.surfaceAlt
    palette.buttonText: Theme.text
    palette.highlight: Theme.accent
    palette.placeholderText: Theme.subtext
    // Basic draws text field borders and combo box arrows with mid and dark.
    palette.mid: Theme.border
    palette.dark: Theme.subtext
    palette.light: Theme.surface
    palette.midlight: Theme.surfaceAlt

    readonly property var views: [
        { name: "overview", title: qsTr("Overview") }, { name: "hosts", title: qsTr("Hosts") },
        { name: "services", title: qsTr("Services") }, { name: "events", title: qsTr("Events") },
        { name: "tree", title: qsTr("Keys") }, { name: "balancers", title: qsTr("Balancers") }
    ]
    function show(i) { stack.currentIndex = i }
    // Ctrl+F: the shown view's own filter field.
    function focusSearch() {
        switch (stack.currentIndex) {
        case 0: overviewView.focusSearch(); break
        case 1: hostsView.focusSearch(); break
        case 2: servicesView.focusSearch(); break
        case 3: eventsView.focusSearch(); break
        case 4: treeView.focusSearch(); break
        }
    }

    onThemeModeChanged: if (themeMode !== "") Theme.mode = themeMode
    Component.onCompleted: {
        if (themeMode !== "")
            Theme.mode = themeMode
        const i = views.findIndex(v => v.name === startView)
        if (i >= 0)
            stack.currentIndex = i
    }

    Shortcut { sequence: "Ctrl+1"; onActivated: window.show(0) }
    Shortcut { sequence: "Ctrl+2"; onActivated: window.show(1) }
    Shortcut { sequence: "Ctrl+3"; onActivated: window.show(2) }
    Shortcut { sequence: "Ctrl+4"; onActivated: window.show(3) }
    Shortcut { sequence: "Ctrl+5"; onActivated: window.show(4) }
    Shortcut { sequence: "Ctrl+6"; onActivated: window.show(5) }
    Shortcut {
        // StandardKey is QtQuick's (it works), but the 6.4 qmllint does not resolve its enums.
        sequence: StandardKey.Find // qmllint disable unqualified
        onActivated: window.focusSearch()
    }

    header: ConnectionBar { connection: window.connection }

    RowLayout {
        anchors.fill: parent
        spacing: 0
        Rectangle {
            Layout.preferredWidth: 150
            Layout.fillHeight: true
            color: Theme.surface
            border.color: Theme.border
            Column {
                anchors.fill: parent
                anchors.topMargin: 12
                spacing: 2
                Repeater {
                    model: window.views
                    delegate: ItemDelegate {
                        id: navItem
                        required property var modelData
                        required property int index
                        objectName: "nav_" + modelData.name
                        width: 150
                        highlighted: stack.currentIndex === index
                        onClicked: window.show(index)
                        contentItem: RowLayout {
                            Label {
                                textFormat: Text.PlainText
                                text: navItem.modelData.title
                                color: navItem.highlighted ? Theme.accent : Theme.text
                                font.bold: navItem.highlighted
                                Layout.fillWidth: true
                            }
                            Label { textFormat: Text.PlainText; text: "Ctrl+" + (navItem.index + 1); color: Theme.subtext; font.pixelSize: 10 }
                        }
                        background: Rectangle {
                            color: navItem.highlighted ? Theme.selection : "transparent"
                        }
                    }
                }
            }
        }
        StackLayout {
            id: stack
            objectName: "viewStack"
            Layout.fillWidth: true
            Layout.fillHeight: true
            OverviewView {
                id: overviewView
                objectName: "overviewView"
                connection: window.connection
                current: stack.currentIndex === 0
                onHostPicked: name => { hostsView.host = name; window.show(1) }
            }
            HostsView {
                id: hostsView
                objectName: "hostsView"
                connection: window.connection
                current: stack.currentIndex === 1
            }
            ServicesView {
                id: servicesView
                objectName: "servicesView"
                connection: window.connection
                current: stack.currentIndex === 2
            }
            EventsView {
                id: eventsView
                objectName: "eventsView"
                connection: window.connection
                current: stack.currentIndex === 3
            }
            KeyTreeView { id: treeView; objectName: "treeView"; connection: window.connection }
            BalancersView {
                id: balancersView
                objectName: "balancersView"
                connection: window.connection
                current: stack.currentIndex === 5
            }
        }
    }
}
