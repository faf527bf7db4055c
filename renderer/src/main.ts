// Entry point of the reviewer console: one Vue app with Pinia, mounted into index.html.
import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import './styles/main.css';

createApp(App).use(createPinia()).mount('#app');
