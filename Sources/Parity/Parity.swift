public enum ParityPlaceholder {}
