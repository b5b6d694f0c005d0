/* Placeholder: the analytics helper fills the .feedback-slot containers from this file. */
